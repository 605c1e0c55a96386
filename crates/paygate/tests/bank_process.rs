//! 가상계좌 with `paygate sim bank` and `paygate serve --bank-addr` as separate processes:
//!
//! - a deposit made with `paygate sim bank deposit`, the gateway SIGKILLed between the bank's
//!   notice and the commit of the deposit, restarted: the deposit counts once, the ledger
//!   balances, and `paygate reconcile` matches the bank's journal with the books;
//! - expiry on the test clocks (`paygate sim bank --test-clock`, `paygate serve
//!   --test-clock`): the bank refuses a deposit after the account's expiry by its own clock,
//!   and the gateway's sweep closes the account (the partial deposit returned) and cancels the
//!   intent `expired`, with its event.

mod common;

use common::test_clock::{advance_gateway, advance_sim};
use common::{BIN, Gateway, Proc, cli, printed, serve_with_merchant, spawn};
use serde_json::Value;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// `paygate sim bank` (with `extra` flags) once it printed `ready`; its link address.
fn bank_with(dir: &Path, extra: &[&str], ready: &str) -> (Proc, String) {
    let data = dir.join("bank");
    let args = [
        "sim",
        "bank",
        "--listen",
        "127.0.0.1:0",
        "--data-dir",
        data.to_str().unwrap(),
        "--notice-retry-ms",
        "200",
    ];
    let p = spawn(
        &[&args[..], extra].concat(),
        &[],
        &dir.join("bank.log"),
        ready,
    );
    let addr = printed(&p, "listening on");
    (p, addr)
}

fn bank(dir: &Path) -> (Proc, String) {
    bank_with(dir, &[], "listening on")
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

/// The virtual account number of a `requires_action` intent.
fn account_number(pi: &Value) -> String {
    pi["next_action"]["display_bank_transfer_instructions"]["financial_addresses"][0]
        ["kr_virtual_account"]["account_number"]
        .as_str()
        .unwrap_or_else(|| panic!("no account in {pi}"))
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_the_test_clocks_the_bank_refuses_late_deposits_and_the_gateway_expires_the_account() {
    let dir = tempfile::tempdir().unwrap();
    let extra = ["--admin-listen", "127.0.0.1:0", "--test-clock"];
    let (bank_proc, addr) = bank_with(dir.path(), &extra, "admin listening on");
    let admin = format!("http://{}", printed(&bank_proc, "admin listening on"));
    let config = dir.path().join("paygate.toml");
    std::fs::write(&config, "sweep_interval_ms = 100\n").unwrap();
    let env = [
        ("PAYGATE_BANK_ADDR", addr.as_str()),
        ("PAYGATE_TEST_CLOCK", "1"),
        ("PAYGATE_CONFIG", config.to_str().unwrap()),
    ];
    let gw = serve_with_merchant(dir.path(), &env);
    let body = "amount=20000&currency=krw&confirm=true&payment_method_data[type]=virtual_account\
                &payment_method_options[virtual_account][bank]=081\
                &payment_method_options[virtual_account][expires_after_days]=1";
    let pi = call(&gw, reqwest::Method::POST, "/v1/payment_intents", body).await;
    assert_eq!(pi["status"], "requires_action", "{pi}");
    let id = pi["id"].as_str().unwrap().to_string();
    let number = account_number(&pi);
    let deposit = format!("/v1/test_helpers/virtual_accounts/{number}/deposit");
    let partial = call(
        &gw,
        reqwest::Method::POST,
        &deposit,
        "amount=5000&depositor_name=%ED%99%8D%EA%B8%B8%EB%8F%99",
    )
    .await;
    assert_eq!(partial["amount_received"], 5000, "{partial}");

    // The bank's clock past the expiry (the gateway's not yet): the bank refuses by its own.
    let expires = pi["next_action"]["display_bank_transfer_instructions"]["financial_addresses"][0]
        ["kr_virtual_account"]["expires_at"]
        .as_i64()
        .unwrap();
    let (s, view) = advance_sim(&admin, &format!("to={}", expires + 60)).await;
    assert_eq!(s, 200, "{view}");
    let late = call(
        &gw,
        reqwest::Method::POST,
        &deposit,
        "amount=15000&depositor_name=late",
    )
    .await;
    assert_eq!(late["error"]["code"], "virtual_account_closed", "{late}");
    let doc = call(
        &gw,
        reqwest::Method::GET,
        &format!("/v1/payment_intents/{id}"),
        "",
    )
    .await;
    assert_eq!(doc["status"], "requires_action", "{doc}");
    assert_eq!(doc["amount_received"], 5000, "{doc}");
    assert!(
        bank_journal(dir.path())
            .iter()
            .any(|l| l["event"] == "deposit_refused" && l["resp"] == "V002"),
        "refused and journaled at the bank"
    );

    // The gateway's clock too: its sweep closes the account at the bank and cancels.
    let (s, view) = advance_gateway(&gw.base, &gw.key, &format!("to={}", expires + 60)).await;
    assert_eq!(s, 200, "{view}");
    until("the intent expiring", async || {
        call(
            &gw,
            reqwest::Method::GET,
            &format!("/v1/payment_intents/{id}"),
            "",
        )
        .await["status"]
            == "canceled"
    })
    .await;
    let doc = call(
        &gw,
        reqwest::Method::GET,
        &format!("/v1/payment_intents/{id}"),
        "",
    )
    .await;
    assert_eq!(doc["cancellation_reason"], "expired", "{doc}");
    let events = call(
        &gw,
        reqwest::Method::GET,
        "/v1/events?type=payment_intent.canceled",
        "",
    )
    .await;
    assert_eq!(events["data"].as_array().unwrap().len(), 1, "{events}");
    assert_eq!(events["data"][0]["data"]["object"]["id"], id.as_str());
    let closes: Vec<Value> = bank_journal(dir.path())
        .into_iter()
        .filter(|l| l["event"] == "close")
        .collect();
    assert_eq!(closes.len(), 1, "{closes:?}");
    assert_eq!(closes[0]["amount"], 5000, "the partial deposit went back");
    let balance = call(&gw, reqwest::Method::GET, "/v1/balance", "").await;
    assert_eq!(balance["object"], "balance", "{balance}");
    let pending: i64 = balance["pending"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|b| b["currency"] == "krw")
        .filter_map(|b| b["amount"].as_i64())
        .sum();
    assert_eq!(
        pending, 0,
        "nothing kept of the returned deposit: {balance}"
    );
    let out = Command::new(BIN)
        .args(["ledger", "verify", "--data-dir", &gw.data])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
