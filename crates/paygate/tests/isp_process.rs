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

/// The signed fields for the intent `pi`, signed `later_s` seconds from now (ECDSA here is
/// deterministic: a fresh signature needs another `signed_at`).
fn signed_form(pi: &Value, key: &SigningKey, cert: &str, jwe: &str, later_s: i64) -> String {
    let req = &pi["next_action"]["isp_signature_request"];
    let expected = Expected {
        payment_intent: req["payment_intent"].as_str().unwrap().into(),
        merchant: req["merchant"].as_str().unwrap().into(),
        amount: req["amount"].as_i64().unwrap(),
        currency: req["currency"].as_str().unwrap().into(),
    };
    let at = time::OffsetDateTime::now_utc() + time::Duration::seconds(later_s);
    let text = SignedData::new(&expected, at).to_text();
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

/// The two simulators as separate processes sharing a test CAVV key, and a merchant on a
/// fresh gateway data dir; [`Stack::serve`] starts `paygate serve` against them.
struct Stack {
    dir: tempfile::TempDir,
    _sim: Proc,
    _isp: Proc,
    sim_s: String,
    isp_s: String,
    isp_url: String,
    data_s: String,
    listen: String,
    sim_addr: String,
    sk: String,
}

impl Stack {
    fn start() -> Stack {
        let dir = tempfile::tempdir().unwrap();
        let key_file = dir.path().join("cavv.key");
        std::fs::write(&key_file, CAVV_KEY_HEX).unwrap();
        let key_s = key_file.to_str().unwrap().to_string();
        let path = |n: &str| dir.path().join(n).to_str().unwrap().to_string();
        let (data_s, sim_s, isp_s) = (path("gw"), path("sim"), path("isp"));
        let sim_addr = format!("127.0.0.1:{}", free_port());
        let sim_args = [
            "sim",
            "network",
            "--listen",
            &sim_addr,
            "--data-dir",
            &sim_s,
        ];
        let key_arg = ["--cavv-key-file", key_s.as_str()];
        let _sim = spawn(
            &[&sim_args[..], &key_arg[..]].concat(),
            &[],
            &dir.path().join("sim.log"),
            "listening on",
        );
        let isp_addr = format!("127.0.0.1:{}", free_port());
        let isp_args = ["sim", "isp", "--listen", &isp_addr, "--data-dir", &isp_s];
        let _isp = spawn(
            &[&isp_args[..], &key_arg[..]].concat(),
            &[],
            &dir.path().join("isp.log"),
            "listening on",
        );
        let (_, sk) = merchant(&data_s);
        Stack {
            isp_url: format!("http://{isp_addr}"),
            listen: format!("127.0.0.1:{}", free_port()),
            dir,
            _sim,
            _isp,
            sim_s,
            isp_s,
            data_s,
            sim_addr,
            sk,
        }
    }

    fn base(&self) -> String {
        format!("http://{}", self.listen)
    }

    /// `paygate serve` against the simulators, with `env`; its log is `log`.
    fn serve(&self, env: &[(&str, &str)], log: &str) -> Proc {
        let args = [
            "serve",
            "--data-dir",
            &self.data_s,
            "--listen",
            &self.listen,
            "--metrics-listen",
            "127.0.0.1:0",
            "--network-addr",
            &self.sim_addr,
            "--isp-url",
            &self.isp_url,
        ];
        spawn(&args, env, &self.dir.path().join(log), "listening on")
    }

    /// Waits until the ISP server journaled a verified verification.
    async fn wait_verified(&self) {
        let t0 = Instant::now();
        while !isp_journal(&self.isp_s)
            .iter()
            .any(|e| e["kind"] == "verify" && e["result"] == "verified")
        {
            assert!(
                t0.elapsed() < Duration::from_secs(30),
                "the verification never happened"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// `GET /v1/payment_intents/{id}`.
async fn retrieve(base: String, sk: String, id: String) -> Value {
    let req = reqwest::Client::new()
        .get(format!("{base}/v1/payment_intents/{id}"))
        .bearer_auth(sk);
    json_call(req).await.unwrap().1
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_killed_between_isp_verification_and_authorization_charges_nothing_then_once() {
    let st = Stack::start();
    let (base, sk, sim_s) = (st.base(), st.sk.clone(), st.sim_s.clone());
    let gw = st.serve(
        &[("PAYGATE_FAULT_DELAY_BEFORE_AUTH_MS", "30000")],
        "gw1.log",
    );
    let body = "amount=12000&currency=krw&payment_method_types[]=isp&confirm=true\
                &payment_method_data[type]=isp&return_url=https://shop.example/back";
    let (s, pi) = post(&base, &sk, "isp-order-1", body.into()).await.unwrap();
    assert_eq!(s, 200, "{pi}");
    assert_eq!(pi["status"], "requires_action", "{pi}");
    let id = pi["id"].as_str().unwrap().to_string();
    let (key, cert, jwe) = enroll(&st.isp_url).await;
    let first = signed_form(&pi, &key, &cert, &jwe, 0);
    let req = tokio::spawn({
        let (base, sk, id, first) = (base.clone(), sk.clone(), id.clone(), first.clone());
        async move { confirm(&base, &sk, &id, first).await }
    });
    // Wait until the ISP server verified the signature, then SIGKILL the gateway.
    st.wait_verified().await;
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

    let _gw2 = st.serve(&[], "gw2.log");
    let get = |id: String| retrieve(base.clone(), sk.clone(), id);
    let after = get(id.clone()).await;
    assert_eq!(after["status"], "requires_action", "retryable: {after}");
    assert!(after["latest_charge"].is_null(), "{after}");
    // The same signature again: the ISP server already used it.
    let (s, e) = confirm(&base, &sk, &id, first).await.unwrap();
    assert_eq!(s, 402, "{e}");
    assert_eq!(e["error"]["code"], "isp_signature_replayed");
    assert_eq!(get(id.clone()).await["status"], "requires_payment_method");
    // A fresh signature pays, exactly once.
    let fresh = signed_form(&pi, &key, &cert, &jwe, 2);
    let (s, done) = confirm(&base, &sk, &id, fresh).await.unwrap();
    assert_eq!(s, 200, "{done}");
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_charged_once(&st);
}

/// One approved network authorization verified under the ISP program; the ISP server's
/// verifications are the killed one, the replay and the fresh one; the books agree.
fn assert_charged_once(st: &Stack) {
    let auths: Vec<Value> = journal(&st.sim_s)
        .into_iter()
        .filter(|e| e["type"] == "authorization")
        .collect();
    assert_eq!(auths.len(), 1, "{auths:?}");
    assert_eq!(auths[0]["response_code"], "00");
    assert_eq!(auths[0]["authentication"], "verified");
    assert_eq!(auths[0]["authentication_program"], "isp");
    let verifies: Vec<Value> = isp_journal(&st.isp_s)
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
    let (ok, out) = cli(&["ledger", "verify", "--data-dir", &st.data_s]);
    assert!(ok, "{out}");
    let (ok, out) = cli(&[
        "reconcile",
        "--data-dir",
        &st.data_s,
        "--network-journal",
        &st.sim_s,
    ]);
    assert!(ok, "the books agree with the network: {out}");
}
