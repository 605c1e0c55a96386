//! 가상계좌 tests' world: the gateway and the bank simulator (over the telegram link) on one
//! `ManualClock`, and the requests of a virtual-account payment over paygate's HTTP API.
#![allow(dead_code)]

use crate::support::TestApp;
use paygate_payments::{Clock, ManualClock};
use reqwest::StatusCode;
use serde_json::Value;
use std::sync::Arc;

pub const T0: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z

pub struct Va {
    pub app: TestApp,
    pub bank: paygate_sim_bank::Running,
    pub bank_dir: tempfile::TempDir,
    pub clock: Arc<ManualClock>,
}

pub async fn spawn() -> Va {
    let clock = Arc::new(ManualClock::new(T0));
    let bank_dir = tempfile::tempdir().unwrap();
    let c = clock.clone();
    let bank = paygate_sim_bank::start(paygate_sim_bank::Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: bank_dir.path().to_path_buf(),
        now: Arc::new(move || c.now()),
        notice_retry_ms: 100,
        pages_listen: None,
    })
    .await
    .unwrap();
    let addr = bank.local_addr().to_string();
    let app = TestApp::spawn_with_clock(move |cfg| cfg.bank_addr = Some(addr), clock.clone()).await;
    Va {
        app,
        bank,
        bank_dir,
        clock,
    }
}

pub fn va_form<'a>(amount: &'a str, bank: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("amount", amount),
        ("currency", "krw"),
        ("confirm", "true"),
        ("payment_method_data[type]", "virtual_account"),
        ("payment_method_options[virtual_account][bank]", bank),
    ]
}

pub async fn issue(va: &Va, amount: &str) -> (String, String) {
    let (s, pi) = va
        .app
        .post("/v1/payment_intents", &va_form(amount, "088"))
        .await;
    assert_eq!(s, StatusCode::OK, "{pi}");
    let number = pi["next_action"]["display_bank_transfer_instructions"]["financial_addresses"][0]
        ["kr_virtual_account"]["account_number"]
        .as_str()
        .unwrap()
        .to_string();
    (pi["id"].as_str().unwrap().to_string(), number)
}

pub async fn deposit(va: &Va, number: &str, amount: &str) -> (StatusCode, Value) {
    let path = format!("/v1/test_helpers/virtual_accounts/{number}/deposit");
    va.app
        .post(&path, &[("amount", amount), ("depositor_name", "홍길동")])
        .await
}

pub fn journal(va: &Va) -> Vec<paygate_sim_bank::JournalLine> {
    paygate_sim_bank::journal(va.bank_dir.path()).unwrap()
}

pub async fn paid(va: &Va, amount: &str) -> Value {
    let (_, number) = issue(va, amount).await;
    let (s, pi) = deposit(va, &number, amount).await;
    assert_eq!(s, StatusCode::OK, "{pi}");
    pi
}
