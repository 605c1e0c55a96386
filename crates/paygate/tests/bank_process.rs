//! 가상계좌 with `paygate sim bank` and `paygate serve --bank-addr` as separate processes: a
//! deposit made with `paygate sim bank deposit`, the gateway SIGKILLed between the bank's
//! notice and the commit of the deposit, restarted: the deposit counts once, the ledger
//! balances, and `paygate reconcile` matches the bank's journal with the books.

mod common;

use common::{BIN, Gateway, Proc, cli, serve_with_merchant, spawn};
use serde_json::Value;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

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
            "--notice-retry-ms",
            "200",
        ],
        &[],
        &dir.join("bank.log"),
        "listening on",
    );
    let addr = p.ready_line.rsplit(' ').next().unwrap().to_string();
    (p, addr)
}

fn bank_journal(dir: &Path) -> Vec<Value> {
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
    serde_json::from_str::<Value>(&out)
        .unwrap()
        .as_array()
        .cloned()
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_killed_between_the_notice_and_its_commit_counts_the_deposit_once() {
    let dir = tempfile::tempdir().unwrap();
    let (_bank, addr) = bank(dir.path());
    let slow = [
        ("PAYGATE_BANK_ADDR", addr.as_str()),
        ("PAYGATE_FAULT_DELAY_AFTER_AUTH_MS", "30000"),
    ];
    let gw = serve_with_merchant(dir.path(), &slow);
    let body = "amount=10000&currency=krw&confirm=true&payment_method_data[type]=virtual_account\
                &payment_method_options[virtual_account][bank]=088";
    let pi = call(&gw, reqwest::Method::POST, "/v1/payment_intents", body).await;
    assert_eq!(pi["status"], "requires_action", "{pi}");
    let id = pi["id"].as_str().unwrap().to_string();
    let number = pi["next_action"]["display_bank_transfer_instructions"]["financial_addresses"][0]
        ["kr_virtual_account"]["account_number"]
        .as_str()
        .unwrap()
        .to_string();
    let bank_dir = dir.path().join("bank");
    let (ok, out) = cli(&[
        "sim",
        "bank",
        "deposit",
        "--data-dir",
        bank_dir.to_str().unwrap(),
        "--account",
        &number,
        "--amount",
        "10000",
        "--depositor",
        "홍길동",
    ]);
    assert!(ok, "{out}");
    // The notice reached the gateway, which recorded it (phase 1) and now waits: kill it.
    let log = gw.proc.log.clone();
    until("the deposit reaching the gateway", async || {
        std::fs::read_to_string(&log)
            .unwrap_or_default()
            .contains("delaying the outcome commit")
    })
    .await;
    let pid = gw.proc.child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-KILL", &pid])
            .status()
            .unwrap()
            .success()
    );
    let (data, key) = (gw.data.clone(), gw.key.clone());
    drop(gw);
    assert!(
        !bank_journal(dir.path())
            .iter()
            .any(|l| l["event"] == "notice_acked"),
        "never acknowledged"
    );

    // Restarted on the same data: recovery and the bank's retransmission both bring the notice.
    let proc = spawn(
        &[
            "serve",
            "--data-dir",
            &data,
            "--listen",
            "127.0.0.1:0",
            "--metrics-listen",
            "127.0.0.1:0",
        ],
        &[("PAYGATE_BANK_ADDR", addr.as_str())],
        &dir.path().join("gw2.log"),
        "paygate listening on",
    );
    let base = proc.ready_line.rsplit(' ').next().unwrap().to_owned();
    let gw2 = Gateway {
        proc,
        data: data.clone(),
        key,
        base,
    };
    until("the intent succeeding", async || {
        call(
            &gw2,
            reqwest::Method::GET,
            &format!("/v1/payment_intents/{id}"),
            "",
        )
        .await["status"]
            == "succeeded"
    })
    .await;
    until("the notice acknowledged", async || {
        bank_journal(dir.path())
            .iter()
            .any(|l| l["event"] == "notice_acked")
    })
    .await;
    let after = call(
        &gw2,
        reqwest::Method::GET,
        &format!("/v1/payment_intents/{id}"),
        "",
    )
    .await;
    assert_eq!(after["amount_received"], 10000, "{after}");
    let events = call(
        &gw2,
        reqwest::Method::GET,
        "/v1/events?type=payment_intent.succeeded",
        "",
    )
    .await;
    assert_eq!(events["data"].as_array().unwrap().len(), 1, "{events}");
    let txns = call(&gw2, reqwest::Method::GET, "/v1/balance_transactions", "").await;
    let deposits = txns["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["source"] == id.as_str())
        .count();
    assert_eq!(deposits, 1, "one posting for one deposit: {txns}");
    let journal = bank_journal(dir.path());
    assert_eq!(
        journal.iter().filter(|l| l["event"] == "deposit").count(),
        1
    );
    let bank_arg = bank_dir.to_str().unwrap();
    let (ok, out) = cli(&["reconcile", "--data-dir", &data, "--bank-journal", bank_arg]);
    assert!(ok, "{out}");
    assert!(
        out.contains("bank: 1 deposits, 0 transfers, 0 debits, 1 matched"),
        "{out}"
    );
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
