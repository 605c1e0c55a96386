//! 계좌이체 with `paygate sim bank` (its telegram link and its own login pages) and
//! `paygate serve --bank-addr` as separate processes, driven through the pages with a plain
//! HTTP client:
//!
//! 1. the gateway SIGKILLed between the bank's approval (and confirm) of the debit and the
//!    commit of the payment: after the restart, recovery cancels the order at the bank, the
//!    debit goes back to the payer, the intent returns to `requires_payment_method`;
//! 2. the gateway SIGKILLed after the payer approved at the bank but before they came back:
//!    after the restart, the payer's return finishes the payment once.
//!
//! Then `paygate reconcile --bank-journal` pairs every debit the bank kept with exactly one
//! succeeded payment, and `paygate ledger verify` passes.

mod common;

use common::{BIN, Gateway, Proc, cli, serve_with_merchant, spawn};
use serde_json::Value;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

const SHOP: &str = "https://shop.example/back";

fn bank(dir: &Path) -> (Proc, String) {
    let data = dir.join("bank");
    let p = spawn(
        &[
            "sim",
            "bank",
            "--listen",
            "127.0.0.1:0",
            "--data-dir",
            data.to_str().unwrap(),
            "--pages-listen",
            "127.0.0.1:0",
        ],
        &[],
        &dir.join("bank.log"),
        "listening on",
    );
    let addr = p.ready_line.rsplit(' ').next().unwrap().to_string();
    (p, addr)
}

fn bank_events(dir: &Path, event: &str) -> Vec<Value> {
    let data = dir.join("bank");
    let (ok, out) = cli(&[
        "sim",
        "bank",
        "journal",
        "--data-dir",
        data.to_str().unwrap(),
        "--json",
    ]);
    assert!(ok, "{out}");
    let all: Vec<Value> = serde_json::from_str(&out).unwrap();
    all.into_iter().filter(|l| l["event"] == event).collect()
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn call(gw: &Gateway, method: reqwest::Method, path: &str, body: &str) -> Value {
    let r = reqwest::Client::new()
        .request(method, format!("{}{path}", gw.base))
        .bearer_auth(&gw.key)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    r.json().await.unwrap()
}

fn between<'a>(html: &'a str, before: &str) -> &'a str {
    let start = html
        .find(before)
        .unwrap_or_else(|| panic!("{before} in {html}"))
        + before.len();
    html[start..].split('"').next().unwrap()
}

/// Confirms, picks KB국민 and approves at the bank as 홍길동: (intent id, paygate's return
/// URL the bank sends the payer to).
async fn approve_at_bank(gw: &Gateway, amount: &str) -> (String, String) {
    let body = format!(
        "amount={amount}&currency=krw&confirm=true&payment_method_data[type]=bank_transfer\
         &return_url={SHOP}"
    );
    let pi = call(gw, reqwest::Method::POST, "/v1/payment_intents", &body).await;
    assert_eq!(pi["status"], "requires_action", "{pi}");
    let page = pi["next_action"]["redirect_to_url"]["url"]
        .as_str()
        .unwrap();
    let token = page.split("t=").nth(1).unwrap();
    let c = http();
    let html = c.get(page).send().await.unwrap().text().await.unwrap();
    let action = between(&html, "<form method=\"post\" action=\"").replace("&amp;", "&");
    let r = c
        .post(&action)
        .form(&[("t", token), ("bank", "004")])
        .send()
        .await
        .unwrap();
    let html = r.text().await.unwrap();
    let bank_url = between(&html, "<form method=\"get\" action=\"").to_string();
    let r = c
        .post(format!("{bank_url}/login"))
        .form(&[("account_number", "12345678901234"), ("password", "1111")])
        .send()
        .await
        .unwrap();
    let html = r.text().await.unwrap();
    let session = between(&html, "name=\"session\" value=\"").to_string();
    let r = c
        .post(format!("{bank_url}/approve"))
        .form(&[("session", session.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::SEE_OTHER);
    let back = r.headers()["location"].to_str().unwrap().to_string();
    (pi["id"].as_str().unwrap().to_string(), back)
}

/// Polls `check` (bounded): the processes work on their own time.
async fn until(what: &str, mut check: impl AsyncFnMut() -> bool) {
    for _ in 0..300 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{what} did not happen");
}

fn kill(gw: Gateway) -> (String, String) {
    let pid = gw.proc.child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-KILL", &pid])
            .status()
            .unwrap()
            .success()
    );
    (gw.data.clone(), gw.key.clone())
}

fn restart(dir: &Path, data: &str, key: &str, addr: &str, log: &str) -> Gateway {
    let proc = spawn(
        &[
            "serve",
            "--data-dir",
            data,
            "--listen",
            "127.0.0.1:0",
            "--metrics-listen",
            "127.0.0.1:0",
        ],
        &[("PAYGATE_BANK_ADDR", addr)],
        &dir.join(log),
        "paygate listening on",
    );
    let base = proc.ready_line.rsplit(' ').next().unwrap().to_owned();
    Gateway {
        proc,
        data: data.to_string(),
        key: key.to_string(),
        base,
    }
}

async fn status(gw: &Gateway, id: &str) -> Value {
    call(
        gw,
        reqwest::Method::GET,
        &format!("/v1/payment_intents/{id}"),
        "",
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_killed_around_the_banks_approval_never_loses_or_doubles_a_debit() {
    let dir = tempfile::tempdir().unwrap();
    let (_bank, addr) = bank(dir.path());
    let slow = [
        ("PAYGATE_BANK_ADDR", addr.as_str()),
        ("PAYGATE_FAULT_DELAY_AFTER_AUTH_MS", "30000"),
    ];
    let gw = serve_with_merchant(dir.path(), &slow);

    // 1. Killed between the bank's confirm of the debit and the commit of the payment.
    let (first, back) = approve_at_bank(&gw, "30000").await;
    let returning = tokio::spawn(async move { http().get(back).send().await.map(|r| r.status()) });
    let log = gw.proc.log.clone();
    until("the confirm reaching the bank", async || {
        std::fs::read_to_string(&log)
            .unwrap_or_default()
            .contains("delaying the outcome commit")
    })
    .await;
    assert_eq!(bank_events(dir.path(), "debit_confirmed").len(), 1);
    let (data, key) = kill(gw);
    let _ = returning.await;
    let gw2 = restart(dir.path(), &data, &key, &addr, "gw2.log");
    until("recovery reversing the debit at the bank", async || {
        !bank_events(dir.path(), "debit_reversed").is_empty()
    })
    .await;
    let pi = status(&gw2, &first).await;
    assert_eq!(pi["status"], "requires_payment_method", "{pi}");
    assert_eq!(pi["last_payment_error"]["code"], "processing_error", "{pi}");
    let reversed = bank_events(dir.path(), "debit_reversed");
    assert_eq!(
        (reversed.len(), reversed[0]["amount"].as_i64()),
        (1, Some(30000))
    );

    // 2. Killed after the payer approved at the bank, before they came back.
    let (second, back) = approve_at_bank(&gw2, "20000").await;
    let old_base = gw2.base.clone();
    let (data, key) = kill(gw2);
    let gw3 = restart(dir.path(), &data, &key, &addr, "gw3.log");
    let back = back.replace(&old_base, &gw3.base);
    let r = http().get(&back).send().await.unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::SEE_OTHER);
    let loc = r.headers()["location"].to_str().unwrap();
    assert!(loc.contains("redirect_status=succeeded"), "{loc}");
    assert_eq!(status(&gw3, &second).await["status"], "succeeded");
    // The payer's reload charges nothing twice.
    let _ = http().get(&back).send().await.unwrap();
    assert_eq!(bank_events(dir.path(), "debit_confirmed").len(), 2);
    assert_eq!(bank_events(dir.path(), "debit").len(), 2);

    let bank_dir = dir.path().join("bank");
    let (ok, out) = cli(&[
        "reconcile",
        "--data-dir",
        &data,
        "--bank-journal",
        bank_dir.to_str().unwrap(),
    ]);
    assert!(ok, "{out}");
    assert!(out.contains("1 debits, 1 matched"), "{out}");
    assert!(!out.contains("PROBLEM"), "{out}");
    let out = Command::new(BIN)
        .args(["ledger", "verify", "--data-dir", &data])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
