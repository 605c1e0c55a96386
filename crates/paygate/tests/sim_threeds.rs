//! `paygate sim 3ds` as operators run it: a separate process with a key file, answering an
//! AReq over HTTP, and `paygate sim 3ds journal --json` showing the transaction without its
//! card number.

mod common;

use common::*;
use serde_json::{Value, json};

const CARD: &str = "4000000000003055";

fn areq(rreq_url: &str) -> Value {
    json!({
        "messageType": "AReq", "messageVersion": "2.2.0",
        "threeDSServerTransID": "6f2d3a4e-8b1c-4d5e-9f60-718293a4b5c6",
        "threeDSServerRefNumber": "PAYGATE-3DS-01", "threeDSServerURL": rreq_url,
        "threeDSRequestorID": "m1", "threeDSRequestorName": "Demo",
        "threeDSRequestorURL": "https://shop.example/", "threeDSRequestorAuthenticationInd": "01",
        "threeDSRequestorChallengeInd": "01", "threeDSCompInd": "U", "deviceChannel": "02",
        "messageCategory": "01", "acctNumber": CARD, "cardExpiryDate": "3412",
        "purchaseAmount": "5000", "purchaseCurrency": "410", "purchaseExponent": "0",
        "purchaseDate": "20261202041500", "acquirerBIN": "123456", "acquirerMerchantID": "shop-1",
        "merchantName": "Demo", "mcc": "5812", "merchantCountryCode": "410",
        "notificationURL": "https://shop.example/notify", "browserAcceptHeader": "text/html",
        "browserUserAgent": "t", "browserLanguage": "ko", "browserJavaEnabled": "false",
        "browserJavascriptEnabled": "true", "browserColorDepth": "24",
        "browserScreenHeight": "900", "browserScreenWidth": "1440", "browserTZ": "-540",
    })
}

#[tokio::test]
async fn the_3ds_simulator_runs_as_a_process_and_its_journal_never_shows_the_pan() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("cavv.key");
    std::fs::write(&key, "ab".repeat(32)).unwrap();
    let data = dir.path().join("3ds");
    let (data, key) = (data.to_str().unwrap(), key.to_str().unwrap());
    let listen = format!("127.0.0.1:{}", free_port());
    let sim = spawn(
        &[
            "sim",
            "3ds",
            "--listen",
            &listen,
            "--data-dir",
            data,
            "--cavv-key-file",
            key,
        ],
        &[],
        &dir.path().join("3ds.log"),
        "listening on",
    );
    let addr = printed(&sim, "listening on");
    let ares: Value = reqwest::Client::new()
        .post(format!("http://{addr}/ds/areq"))
        .json(&areq("http://127.0.0.1:9/rreq"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ares["transStatus"], "Y", "{ares}");
    assert_eq!(ares["authenticationValue"].as_str().map(str::len), Some(28));

    let (ok, out) = cli(&["sim", "3ds", "journal", "--data-dir", data, "--json"]);
    assert!(ok, "{out}");
    assert!(!out.contains(CARD), "the journal shows no PAN:\n{out}");
    let journal: Vec<Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(journal.len(), 1);
    assert_eq!(journal[0]["last4"], "3055");
    assert_eq!(journal[0]["trans_status"], "Y");
    assert_eq!(journal[0]["ds_trans_id"], ares["dsTransID"]);
    let log = std::fs::read_to_string(dir.path().join("3ds.log")).unwrap();
    assert!(!log.contains(CARD), "the log shows no PAN");

    let (ok, out) = cli(&["sim", "3ds", "--listen", &listen, "--data-dir", data]);
    assert!(!ok, "--cavv-key-file is required: {out}");
}
