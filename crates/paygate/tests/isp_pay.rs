//! `paygate isp pay` end to end: `paygate serve` (with its in-process ISP server and card
//! network), a card enrolled with `paygate isp enroll`, a PaymentIntent paid by the CLI; the
//! charge's evidence, the ISP server's and the network's journals, the ledger; and a refusal
//! (revoked certificate) exiting non-zero with the ISP code.

mod common;

use std::process::Command;

use common::*;
use serde_json::Value;

const PASSWORD: &str = "isp-pass-1234";

fn run(args: &[&str], env: &[(&str, &str)]) -> (bool, String) {
    let mut cmd = Command::new(BIN);
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run paygate");
    let mut s = String::from_utf8_lossy(&out.stdout).to_string();
    s.push_str(&String::from_utf8_lossy(&out.stderr));
    (out.status.success(), s)
}

fn wait_for_line(p: &Proc, line: &str) -> String {
    for _ in 0..200 {
        if stdout_of(p).contains(line) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    printed(p, line)
}

async fn get(base: &str, key: &str, path: &str) -> Value {
    reqwest::Client::new()
        .get(format!("{base}{path}"))
        .bearer_auth(key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// A new unconfirmed ISP intent: id and client_secret.
async fn new_intent(base: &str, sk: &str, idem: &str) -> (String, String) {
    let (s, pi) = post(
        base,
        sk,
        idem,
        "amount=12000&currency=krw&payment_method_types[]=isp".into(),
    )
    .await
    .unwrap();
    assert_eq!(s, 200, "{pi}");
    (
        pi["id"].as_str().unwrap().to_owned(),
        pi["client_secret"].as_str().unwrap().to_owned(),
    )
}

fn pay(base: &str, pk: &str, pi: &str, cs: &str, wallet: &str) -> (bool, String) {
    run(
        &[
            "isp",
            "pay",
            "--url",
            base,
            "--publishable-key",
            pk,
            "--payment-intent",
            pi,
            "--client-secret",
            cs,
            "--wallet",
            wallet,
        ],
        &[("PAYGATE_ISP_PASSWORD", PASSWORD)],
    )
}

/// A `paygate serve` (in-process ISP server and card network) with a merchant, and a card
/// enrolled into a wallet with `paygate isp enroll`.
struct Setup {
    _dir: tempfile::TempDir,
    _gw: Proc,
    data: String,
    base: String,
    sk: String,
    pk: String,
    isp_url: String,
    wallet: String,
    serial: String,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("gw").to_str().unwrap().to_owned();
    let (ok, out) = run(
        &[
            "merchant",
            "create",
            "--name",
            "ISP shop",
            "--data-dir",
            &data,
            "--json",
        ],
        &[],
    );
    assert!(ok, "{out}");
    let m: Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    let listen = format!("127.0.0.1:{}", free_port());
    let gw = spawn(
        &[
            "serve",
            "--data-dir",
            &data,
            "--listen",
            &listen,
            "--metrics-listen",
            "127.0.0.1:0",
        ],
        &[],
        &dir.path().join("gw.log"),
        "listening on",
    );
    let isp_url = wait_for_line(&gw, "ISP server simulator (CA + verifier) on");
    let wallet = dir.path().join("wallet.json").to_str().unwrap().to_owned();
    let (ok, out) = run(
        &["isp", "enroll", "--isp-url", &isp_url, "--wallet", &wallet],
        &[
            ("PAYGATE_ISP_CARD_NUMBER", PAN),
            ("PAYGATE_ISP_CARD_EXPIRY", "12/34"),
            ("PAYGATE_ISP_CARD_CVC", "123"),
            ("PAYGATE_ISP_PASSWORD", PASSWORD),
        ],
    );
    assert!(ok, "{out}");
    let w: Value = serde_json::from_str(&std::fs::read_to_string(&wallet).unwrap()).unwrap();
    Setup {
        _dir: dir,
        _gw: gw,
        base: format!("http://{listen}"),
        sk: m["secret_key"].as_str().unwrap().to_owned(),
        pk: m["publishable_key"].as_str().unwrap().to_owned(),
        serial: w["serial"].as_str().unwrap().to_owned(),
        data,
        isp_url,
        wallet,
    }
}

/// The charge's ISP evidence, the ISP server's and the network's journals, the ledger.
async fn check_paid(t: &Setup, pi: &str) {
    let intent = get(&t.base, &t.sk, &format!("/v1/payment_intents/{pi}")).await;
    assert_eq!(intent["status"], "succeeded", "{intent}");
    let charge_id = intent["latest_charge"].as_str().unwrap();
    let charge = get(&t.base, &t.sk, &format!("/v1/charges/{charge_id}")).await;
    let details = &charge["payment_method_details"];
    assert_eq!(details["type"], "isp", "{charge}");
    assert_eq!(details["isp"]["certificate_serial"], t.serial.as_str());
    assert_eq!(details["isp"]["last4"], "4242");
    let signed: Value =
        serde_json::from_str(details["isp"]["signed_data"].as_str().unwrap()).unwrap();
    assert_eq!(
        (signed["payment_intent"].as_str(), signed["amount"].as_i64()),
        (Some(pi), Some(12_000))
    );
    let isp_dir = format!("{}/isp-sim", t.data);
    let (ok, out) = run(
        &["sim", "isp", "journal", "--data-dir", &isp_dir, "--json"],
        &[],
    );
    assert!(ok, "{out}");
    let isp_journal: Vec<Value> = serde_json::from_str(&out).unwrap();
    let verified: Vec<&Value> = isp_journal
        .iter()
        .filter(|e| e["result"] == "verified")
        .collect();
    assert_eq!(verified.len(), 1);
    assert_eq!(verified[0]["payment_intent"], pi);
    assert_eq!(
        verified[0]["transaction_id"],
        details["isp"]["transaction_id"]
    );
    let network = journal(&format!("{}/network-sim", t.data));
    let auth = network
        .iter()
        .find(|e| e["authentication"] == "verified")
        .expect("a verified authorization");
    assert_eq!(auth["authentication_program"], "isp", "{auth}");
    let (ok, out) = run(&["ledger", "verify", "--data-dir", &t.data], &[]);
    assert!(ok, "{out}");
}

#[tokio::test]
async fn the_cli_pays_an_isp_intent_and_a_revoked_certificate_is_refused() {
    let t = setup();
    let (pi, cs) = new_intent(&t.base, &t.sk, "isp-1").await;
    let (ok, out) = pay(&t.base, &t.pk, &pi, &cs, &t.wallet);
    assert!(ok, "{out}");
    assert!(
        out.contains(&format!("payment_intent {pi} status succeeded")),
        "{out}"
    );
    assert!(out.contains("signing: 12000 krw"), "{out}");
    check_paid(&t, &pi).await;

    // Revoked: the CLI exits non-zero naming the ISP check; nothing is charged.
    let r = reqwest::Client::new()
        .post(format!("{}/v1/revoke", t.isp_url))
        .json(&serde_json::json!({"serial": t.serial}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (pi2, cs2) = new_intent(&t.base, &t.sk, "isp-2").await;
    let (ok, out) = pay(&t.base, &t.pk, &pi2, &cs2, &t.wallet);
    assert!(!ok && out.contains("isp_certificate_revoked"), "{out}");
    let intent2 = get(&t.base, &t.sk, &format!("/v1/payment_intents/{pi2}")).await;
    assert_eq!(intent2["status"], "requires_payment_method", "{intent2}");
    assert!(intent2["latest_charge"].is_null());
}
