//! ISP 안전결제 as operators run it: `paygate sim network`, `paygate sim isp` and `paygate
//! serve --isp-url` as separate processes, and a SIGKILL of the gateway between the ISP
//! server's verification and the authorization (`PAYGATE_FAULT_DELAY_BEFORE_AUTH_MS` widens
//! that window). After the restart nothing is charged, the intent is retryable, the same
//! signature is a replay, and a fresh one pays exactly once.

mod common;

use common::*;
use paygate_isp::p256::ecdsa::SigningKey;
use paygate_isp::{CardPayload, Expected, PublicJwk, SignedData};
use serde_json::{Value, json};
use std::process::Command;
use std::time::{Duration, Instant};

/// A test CAVV key shared by the two simulators (test key only).
const CAVV_KEY_HEX: &str = "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a";

fn isp_journal(isp_dir: &str) -> Vec<Value> {
    let out = Command::new(BIN)
        .args(["sim", "isp", "journal", "--data-dir", isp_dir, "--json"])
        .output()
        .expect("run paygate");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("ISP journal JSON");
    v.as_array().cloned().unwrap_or_default()
}

async fn json_call(req: reqwest::RequestBuilder) -> Result<(u16, Value), reqwest::Error> {
    let r = req.send().await?;
    let s = r.status().as_u16();
    Ok((s, r.json().await.unwrap_or(Value::Null)))
}

/// Enrols the test Visa card with a fixed test key; (key, certificate PEM, card JWE).
async fn enroll(isp_url: &str) -> (SigningKey, String, String) {
    let http = reqwest::Client::new();
    let (_, jwk) = json_call(http.get(format!("{isp_url}/v1/encryption_key")))
        .await
        .unwrap();
    let kid = jwk["kid"].as_str().unwrap().to_string();
    let jwk: PublicJwk = serde_json::from_value(jwk).unwrap();
    let card = CardPayload {
        number: PAN.into(),
        exp_month: 12,
        exp_year: 2034,
        cvc: Some("123".into()),
    };
    let jwe = paygate_isp::jwe::encrypt_card(&jwk, &kid, &card).unwrap();
    let key = SigningKey::from_slice(&[0x42; 32]).unwrap();
    let csr = paygate_isp::csr::build(&key).unwrap();
    let body = json!({"csr": csr, "card": jwe, "password_set": true});
    let (s, out) = json_call(http.post(format!("{isp_url}/v1/enroll")).json(&body))
        .await
        .unwrap();
    assert_eq!(s, 200, "{out}");
    (key, out["certificate"].as_str().unwrap().into(), jwe)
}

/// The signed fields for the intent `pi`, signed now.
fn signed_form(pi: &Value, key: &SigningKey, cert: &str, jwe: &str) -> String {
    let req = &pi["next_action"]["isp_signature_request"];
    let expected = Expected {
        payment_intent: req["payment_intent"].as_str().unwrap().into(),
        merchant: req["merchant"].as_str().unwrap().into(),
        amount: req["amount"].as_i64().unwrap(),
        currency: req["currency"].as_str().unwrap().into(),
    };
    let text = SignedData::new(&expected, time::OffsetDateTime::now_utc()).to_text();
    let sig = paygate_isp::signature::sign(key, text.as_bytes());
    let mut f = url::form_urlencoded::Serializer::new(String::new());
    f.append_pair("payment_method_data[type]", "isp")
        .append_pair("payment_method_data[isp][certificate]", cert)
        .append_pair("payment_method_data[isp][signed_data]", &text)
        .append_pair("payment_method_data[isp][signature]", &sig)
        .append_pair("payment_method_data[isp][card]", jwe);
    f.finish()
}

async fn confirm(
    base: &str,
    key: &str,
    pi: &str,
    body: String,
) -> Result<(u16, Value), reqwest::Error> {
    json_call(
        reqwest::Client::new()
            .post(format!("{base}/v1/payment_intents/{pi}/confirm"))
            .bearer_auth(key)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_killed_between_isp_verification_and_authorization_charges_nothing_then_once() {
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("cavv.key");
    std::fs::write(&key_file, CAVV_KEY_HEX).unwrap();
    let key_s = key_file.to_str().unwrap().to_string();
    let path = |n: &str| dir.path().join(n).to_str().unwrap().to_string();
    let (data_s, sim_s, isp_s) = (path("gw"), path("sim"), path("isp"));
    let sim_addr = format!("127.0.0.1:{}", free_port());
    let _sim = spawn(
        &[
            "sim",
            "network",
            "--listen",
            &sim_addr,
            "--data-dir",
            &sim_s,
            "--cavv-key-file",
            &key_s,
        ],
        &[],
        &dir.path().join("sim.log"),
        "listening on",
    );
    let isp_addr = format!("127.0.0.1:{}", free_port());
    let isp_url = format!("http://{isp_addr}");
    let _isp = spawn(
        &[
            "sim",
            "isp",
            "--listen",
            &isp_addr,
            "--data-dir",
            &isp_s,
            "--cavv-key-file",
            &key_s,
        ],
        &[],
        &dir.path().join("isp.log"),
        "listening on",
    );
    let (_, sk) = merchant(&data_s);
    let listen = format!("127.0.0.1:{}", free_port());
    let base = format!("http://{listen}");
    let gw_args = [
        "serve",
        "--data-dir",
        &data_s,
        "--listen",
        &listen,
        "--metrics-listen",
        "127.0.0.1:0",
        "--network-addr",
        &sim_addr,
        "--isp-url",
        &isp_url,
    ];
    let gw = spawn(
        &gw_args,
        &[("PAYGATE_FAULT_DELAY_BEFORE_AUTH_MS", "30000")],
        &dir.path().join("gw1.log"),
        "listening on",
    );
    let body = "amount=12000&currency=krw&payment_method_types[]=isp&confirm=true\
                &payment_method_data[type]=isp&return_url=https://shop.example/back";
    let (s, pi) = post(&base, &sk, "isp-order-1", body.into()).await.unwrap();
    assert_eq!(s, 200, "{pi}");
    assert_eq!(pi["status"], "requires_action", "{pi}");
    let id = pi["id"].as_str().unwrap().to_string();
    let (key, cert, jwe) = enroll(&isp_url).await;
    let first = signed_form(&pi, &key, &cert, &jwe);
    let req = tokio::spawn({
        let (base, sk, id, first) = (base.clone(), sk.clone(), id.clone(), first.clone());
        async move { confirm(&base, &sk, &id, first).await }
    });
    // Wait until the ISP server verified the signature, then SIGKILL the gateway.
    let t0 = Instant::now();
    while !isp_journal(&isp_s)
        .iter()
        .any(|e| e["kind"] == "verify" && e["result"] == "verified")
    {
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "the verification never happened"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let pid = gw.child.id();
    assert!(
        Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status()
            .unwrap()
            .success()
    );
    drop(gw);
    assert!(
        req.await.unwrap().is_err(),
        "the client saw the connection die"
    );
    assert!(
        journal(&sim_s).iter().all(|e| e["type"] != "authorization"),
        "nothing reached the network"
    );

    let _gw2 = spawn(&gw_args, &[], &dir.path().join("gw2.log"), "listening on");
    let get = |id: String| {
        let (base, sk) = (base.clone(), sk.clone());
        async move {
            json_call(
                reqwest::Client::new()
                    .get(format!("{base}/v1/payment_intents/{id}"))
                    .bearer_auth(sk),
            )
            .await
            .unwrap()
            .1
        }
    };
    let after = get(id.clone()).await;
    assert_eq!(after["status"], "requires_action", "retryable: {after}");
    assert!(after["latest_charge"].is_null(), "{after}");
    // The same signature again: the ISP server already used it.
    let (s, e) = confirm(&base, &sk, &id, first).await.unwrap();
    assert_eq!(s, 402, "{e}");
    assert_eq!(e["error"]["code"], "isp_signature_replayed");
    assert_eq!(get(id.clone()).await["status"], "requires_payment_method");
    // A fresh signature pays, exactly once.
    let fresh = signed_form(&pi, &key, &cert, &jwe);
    let (s, done) = confirm(&base, &sk, &id, fresh).await.unwrap();
    assert_eq!(s, 200, "{done}");
    assert_eq!(done["status"], "succeeded", "{done}");
    let auths: Vec<Value> = journal(&sim_s)
        .into_iter()
        .filter(|e| e["type"] == "authorization")
        .collect();
    assert_eq!(auths.len(), 1, "{auths:?}");
    assert_eq!(auths[0]["response_code"], "00");
    assert_eq!(auths[0]["authentication"], "verified");
    assert_eq!(auths[0]["authentication_program"], "isp");
    let verifies: Vec<Value> = isp_journal(&isp_s)
        .into_iter()
        .filter(|e| e["kind"] == "verify")
        .collect();
    let results: Vec<&str> = verifies
        .iter()
        .map(|e| e["result"].as_str().unwrap())
        .collect();
    assert_eq!(
        results,
        ["verified", "isp_signature_replayed", "verified"],
        "{verifies:?}"
    );
    let (ok, out) = cli(&["ledger", "verify", "--data-dir", &data_s]);
    assert!(ok, "{out}");
    let (ok, out) = cli(&[
        "reconcile",
        "--data-dir",
        &data_s,
        "--network-journal",
        &sim_s,
    ]);
    assert!(ok, "the books agree with the network: {out}");
}
