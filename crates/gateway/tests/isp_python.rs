//! Every check of the ISP server through paygate's confirm, driven by an ISP client written in
//! Python from the wire contract alone (`tests/data/isp_python/isp_client.py`: PyPI's
//! `cryptography` builds the key, CSR and signatures, `jwcrypto` the JWE) — none of paygate's
//! code on the payer's side.
//!
//! The test makes its own venv under the target dir. Without python3 it fails, unless
//! `PAYGATE_SKIP_PYTHON=1`.

mod isp_support;
mod support;

use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Mutex;
use std::time::Duration;
use support::TestApp;

const PACKAGES: [&str; 2] = ["cryptography==46.0.7", "jwcrypto==1.5.6"];

static VENV: Mutex<()> = Mutex::new(());

fn venv() -> Option<PathBuf> {
    if std::env::var("PAYGATE_SKIP_PYTHON").as_deref() == Ok("1") {
        eprintln!("skipped: PAYGATE_SKIP_PYTHON=1");
        return None;
    }
    let _creating = VENV.lock().unwrap_or_else(|p| p.into_inner());
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("isp-client-venv");
    let py = dir.join("bin/python");
    let marker = dir.join(".installed");
    if !marker.exists() {
        let ok = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&dir)
            .status();
        assert!(
            ok.is_ok_and(|s| s.success()),
            "python3 -m venv failed: install python3-venv (or set PAYGATE_SKIP_PYTHON=1)"
        );
        let ok = Command::new(&py)
            .args(["-m", "pip", "install", "-q"])
            .args(PACKAGES)
            .status()
            .expect("pip runs");
        assert!(ok.success(), "pip install {PACKAGES:?} failed");
        std::fs::write(&marker, b"ok").unwrap();
    }
    Some(py)
}

/// Runs the client against `app`; its JSON report.
async fn run_client(app: &TestApp, py: PathBuf) -> Value {
    let script =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/isp_python/isp_client.py");
    let isp_url = app.isp.as_ref().unwrap().base_url().to_string();
    let args = [
        app.base.clone(),
        app.key.clone(),
        app.publishable.clone(),
        isp_url,
    ];
    let out = tokio::task::spawn_blocking(move || {
        Command::new(py)
            .arg(script)
            .args(args)
            .output()
            .expect("python runs")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "isp_client.py failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(stdout.lines().last().unwrap_or_default())
        .unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

/// (HTTP status, error type, the field it names) of every refusal.
const REFUSALS: [(&str, u16, &str, &str); 10] = [
    (
        "isp_certificate_invalid",
        400,
        "invalid_request_error",
        "certificate",
    ),
    (
        "isp_certificate_untrusted",
        402,
        "card_error",
        "certificate",
    ),
    ("isp_certificate_revoked", 402, "card_error", "certificate"),
    ("isp_signature_invalid", 402, "card_error", "signature"),
    (
        "isp_signed_data_invalid",
        400,
        "invalid_request_error",
        "signed_data",
    ),
    ("isp_signed_data_mismatch", 402, "card_error", "signed_data"),
    ("isp_signature_expired", 402, "card_error", "signature"),
    ("isp_card_invalid", 400, "invalid_request_error", "card"),
    ("isp_card_mismatch", 402, "card_error", "card"),
    ("isp_signature_replayed", 402, "card_error", "signature"),
];

#[tokio::test]
async fn an_independent_client_pays_and_meets_every_check_of_the_isp_server() {
    let Some(py) = venv() else { return };
    let app = TestApp::spawn_isp(|_| {}, Duration::from_secs(365 * 24 * 3600)).await;
    let out = run_client(&app, py).await;
    assert_eq!(out["ca_count"], 2, "{out}");
    for name in ["verified", "mastercard", "after_replay"] {
        let r = &out[name];
        assert_eq!(r["status"], 200, "{name}: {r}");
        assert_eq!(r["intent"]["status"], "succeeded", "{name}: {r}");
        assert_eq!(
            r["intent"]["latest_charge"]["payment_method_details"]["type"],
            "isp"
        );
    }
    let ev = &out["verified"]["intent"]["latest_charge"]["payment_method_details"]["isp"];
    assert_eq!(ev["certificate_serial"], out["serial"]);
    assert_eq!(ev["signed_data"], out["verified"]["sent"]["signed_data"]);
    assert_eq!(ev["signature"], out["verified"]["sent"]["signature"]);
    assert_eq!(ev["last4"], "4242");
    for (code, status, kind, field) in REFUSALS {
        let r = &out[code];
        assert_eq!(r["status"], status, "{code}: {r}");
        let e = &r["error"];
        assert_eq!(e["code"], code, "{code}: {r}");
        assert_eq!(e["type"], kind, "{code}: {r}");
        assert_eq!(
            e["param"],
            format!("payment_method_data[isp][{field}]"),
            "{code}: {r}"
        );
        let pi = &r["intent"];
        assert_eq!(pi["status"], "requires_payment_method", "{code}: {pi}");
        assert_eq!(pi["last_payment_error"]["code"], code, "{code}: {pi}");
        if code != "isp_signature_replayed" {
            let ch = &pi["latest_charge"];
            assert!(ch.is_null(), "{code}: nothing charged, {pi}");
        }
    }
    // The replayed signature had paid for a declined authorization: its charge is the only one.
    let first = &out["replay_first"];
    assert_eq!(first["status"], 402, "{first}");
    assert_eq!(
        first["error"]["decline_code"], "insufficient_funds",
        "{first}"
    );
    let declined = &out["isp_signature_replayed"]["intent"]["latest_charge"];
    assert_eq!(declined["status"], "failed", "{declined}");
    assert_eq!(declined["payment_method_details"]["type"], "isp");
    // Four verified payments reached the network, all under the ISP program; three approved.
    let auths = isp_support::network_authorizations(&app);
    assert_eq!(auths.len(), 4, "{auths:#?}");
    let isp_verified = |a: &&serde_json::Value| {
        a["authentication"] == "verified" && a["authentication_program"] == "isp"
    };
    assert!(auths.iter().all(|a| isp_verified(&a)), "{auths:#?}");
    let approved = auths.iter().filter(|a| a["response_code"] == "00").count();
    assert_eq!(approved, 3, "{auths:#?}");
    assert!(app.ledger_problems().await.is_empty());
}
