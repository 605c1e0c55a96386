//! 가상계좌 through the public API: confirm → account issued at the bank simulator over the
//! telegram link → `display_bank_transfer_instructions`; deposits through the test helper
//! (the bank sends its notice over the link); partial, exact, too much, duplicate notices,
//! expiry with the clock; refunds to a bank account; cash receipts; tenancy.

mod support;

use paygate_payments::{Clock, ManualClock};
use reqwest::StatusCode;
use serde_json::Value;
use std::sync::Arc;
use support::TestApp;

const T0: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z

struct Va {
    app: TestApp,
    bank: paygate_sim_bank::Running,
    bank_dir: tempfile::TempDir,
    clock: Arc<ManualClock>,
}

async fn spawn() -> Va {
    let clock = Arc::new(ManualClock::new(T0));
    let bank_dir = tempfile::tempdir().unwrap();
    let c = clock.clone();
    let bank = paygate_sim_bank::start(paygate_sim_bank::Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: bank_dir.path().to_path_buf(),
        now: Arc::new(move || c.now()),
        notice_retry_ms: 100,
        pages_listen: Some("127.0.0.1:0".parse().unwrap()),
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

fn va_form<'a>(amount: &'a str, bank: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("amount", amount),
        ("currency", "krw"),
        ("confirm", "true"),
        ("payment_method_data[type]", "virtual_account"),
        ("payment_method_options[virtual_account][bank]", bank),
    ]
}

async fn issue(va: &Va, amount: &str) -> (String, String) {
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

async fn deposit(va: &Va, number: &str, amount: &str) -> (StatusCode, Value) {
    let path = format!("/v1/test_helpers/virtual_accounts/{number}/deposit");
    va.app
        .post(&path, &[("amount", amount), ("depositor_name", "홍길동")])
        .await
}

fn journal(va: &Va) -> Vec<paygate_sim_bank::JournalLine> {
    paygate_sim_bank::journal(va.bank_dir.path()).unwrap()
}

#[tokio::test]
async fn confirm_issues_an_account_and_shows_stripes_bank_transfer_instructions() {
    let va = spawn().await;
    let (s, pi) = va
        .app
        .post("/v1/payment_intents", &va_form("50000", "004"))
        .await;
    assert_eq!(s, StatusCode::OK, "{pi}");
    assert_eq!(pi["status"], "requires_action");
    let na = &pi["next_action"];
    assert_eq!(na["type"], "display_bank_transfer_instructions");
    let d = &na["display_bank_transfer_instructions"];
    assert_eq!(d["amount_remaining"], 50000);
    assert_eq!(d["currency"], "krw");
    assert_eq!(d["type"], "kr_virtual_account");
    let fa = &d["financial_addresses"][0];
    assert_eq!(fa["type"], "kr_virtual_account");
    let acct = &fa["kr_virtual_account"];
    assert_eq!(acct["bank_code"], "004");
    assert_eq!(acct["bank_name"], "KB국민은행");
    assert_eq!(acct["account_holder_name"], "Test shop");
    assert_eq!(
        acct["expires_at"],
        T0 + 3 * 86_400,
        "expires_after_days defaults to 3"
    );
    assert!(acct["account_number"].as_str().unwrap().starts_with("0049"));
    let issued = journal(&va);
    assert_eq!(issued[0].event, "issue");
    assert_eq!(issued[0].reference, pi["id"].as_str().unwrap());
    assert_eq!(issued[0].amount, 50000);
    assert!(
        va.app
            .event_types()
            .await
            .contains(&"payment_intent.requires_action".to_string())
    );
}

#[tokio::test]
async fn partial_then_exact_deposits_fund_the_intent_with_events_ledger_and_a_charge() {
    let va = spawn().await;
    let (pi_id, number) = issue(&va, "30000").await;
    let (s, pi) = deposit(&va, &number, "10000").await;
    assert_eq!(s, StatusCode::OK, "{pi}");
    assert_eq!(pi["status"], "requires_action");
    assert_eq!(pi["amount_received"], 10000);
    assert_eq!(
        pi["next_action"]["display_bank_transfer_instructions"]["amount_remaining"],
        20000
    );
    assert!(
        va.app
            .event_types()
            .await
            .contains(&"payment_intent.partially_funded".to_string())
    );
    assert_eq!(
        va.app.balance().await,
        (0, 10000),
        "a partial deposit carries no fee"
    );

    let (s, pi) = deposit(&va, &number, "20000").await;
    assert_eq!(s, StatusCode::OK, "{pi}");
    assert_eq!(pi["status"], "succeeded");
    assert_eq!(pi["amount_received"], 30000);
    assert!(pi["next_action"].is_null());
    let (_, ch) = va
        .app
        .get(&format!(
            "/v1/charges/{}",
            pi["latest_charge"].as_str().unwrap()
        ))
        .await;
    assert_eq!(ch["amount_captured"], 30000);
    assert_eq!(ch["payment_method_details"]["type"], "virtual_account");
    assert_eq!(
        ch["payment_method_details"]["virtual_account"]["account_number"],
        number.as_str()
    );
    assert_eq!(
        ch["payment_method_details"]["virtual_account"]["deposits"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let types = va.app.event_types().await;
    assert!(
        types.contains(&"payment_intent.succeeded".to_string()),
        "{types:?}"
    );
    assert!(types.contains(&"charge.succeeded".to_string()), "{types:?}");
    assert!(va.app.ledger_problems().await.is_empty());
    let (_, txns) = va.app.get("/v1/balance_transactions").await;
    let sources: Vec<&Value> = txns["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["source"] == pi_id.as_str())
        .collect();
    assert_eq!(sources.len(), 2, "one balance transaction per deposit");
    let fees: i64 = sources.iter().map(|t| t["fee"].as_i64().unwrap()).sum();
    assert!(fees > 0, "the completing deposit carries the fee");
    assert_eq!(va.app.balance().await.1, 30000 - fees);
    let (s, e) = deposit(&va, &number, "1").await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    assert_eq!(e["error"]["code"], "virtual_account_closed");
}

#[tokio::test]
async fn more_than_remaining_is_refused_by_the_bank_and_never_kept() {
    let va = spawn().await;
    let (pi_id, number) = issue(&va, "10000").await;
    let (s, e) = deposit(&va, &number, "10001").await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    assert_eq!(e["error"]["param"], "amount");
    assert_eq!(e["error"]["code"], "amount_too_large");
    let (_, pi) = va.app.get(&format!("/v1/payment_intents/{pi_id}")).await;
    assert_eq!(pi["amount_received"], 0);
    assert_eq!(pi["status"], "requires_action");
    assert!(
        journal(&va)
            .iter()
            .any(|l| l.event == "deposit_refused" && l.resp == "V003")
    );
    assert_eq!(va.app.balance().await, (0, 0));
}

#[tokio::test]
async fn a_notice_delivered_twice_counts_once() {
    let va = spawn().await;
    let (pi_id, number) = issue(&va, "10000").await;
    let (s, _) = deposit(&va, &number, "4000").await;
    assert_eq!(s, StatusCode::OK);
    let deposit_id = journal(&va)
        .iter()
        .find(|l| l.event == "deposit")
        .unwrap()
        .reference
        .clone();
    va.bank.redeliver(&deposit_id).unwrap();
    // The second acknowledgement shows the gateway has handled the second delivery.
    for _ in 0..500 {
        if journal(&va)
            .iter()
            .filter(|l| l.event == "notice_acked")
            .count()
            == 2
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(
        journal(&va)
            .iter()
            .filter(|l| l.event == "notice_acked")
            .count(),
        2
    );
    let (_, pi) = va.app.get(&format!("/v1/payment_intents/{pi_id}")).await;
    assert_eq!(pi["amount_received"], 4000);
    assert_eq!(va.app.balance().await, (0, 4000));
    let partial = va
        .app
        .event_types()
        .await
        .iter()
        .filter(|t| *t == "payment_intent.partially_funded")
        .count();
    assert_eq!(partial, 1);
}

#[tokio::test]
async fn expiry_cancels_the_intent_returns_partial_deposits_and_the_bank_refuses_later_ones() {
    let va = spawn().await;
    let form = {
        let mut f = va_form("20000", "081");
        f.push((
            "payment_method_options[virtual_account][expires_after_days]",
            "1",
        ));
        f
    };
    let (_, pi) = va.app.post("/v1/payment_intents", &form).await;
    let pi_id = pi["id"].as_str().unwrap();
    let number = pi["next_action"]["display_bank_transfer_instructions"]["financial_addresses"][0]
        ["kr_virtual_account"]["account_number"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(deposit(&va, &number, "5000").await.0, StatusCode::OK);
    let st = &va.app.server.state;
    assert_eq!(
        paygate_gateway::virtual_accounts::expiry::sweep(st).await,
        Ok(0),
        "not due yet"
    );
    va.clock.advance(86_400);
    assert_eq!(
        paygate_gateway::virtual_accounts::expiry::sweep(st).await,
        Ok(1)
    );
    let (_, pi) = va.app.get(&format!("/v1/payment_intents/{pi_id}")).await;
    assert_eq!(pi["status"], "canceled");
    assert_eq!(pi["cancellation_reason"], "expired");
    assert!(
        va.app
            .event_types()
            .await
            .contains(&"payment_intent.canceled".to_string())
    );
    assert_eq!(
        va.app.balance().await,
        (0, 0),
        "the partial deposit went back to the payer"
    );
    assert!(va.app.ledger_problems().await.is_empty());
    assert!(
        journal(&va)
            .iter()
            .any(|l| l.event == "close" && l.amount == 5000)
    );
    let (s, e) = deposit(&va, &number, "15000").await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    assert_eq!(e["error"]["code"], "virtual_account_closed");
}

#[tokio::test]
async fn bad_virtual_account_parameters_name_the_field_and_the_rule() {
    let va = spawn().await;
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (
            va_form("1000", "999"),
            "payment_method_options[virtual_account][bank]",
        ),
        (
            va_form("1000", "004")
                .into_iter()
                .filter(|(k, _)| !k.ends_with("[bank]"))
                .collect(),
            "payment_method_options[virtual_account][bank]",
        ),
        (
            [
                va_form("1000", "004"),
                vec![(
                    "payment_method_options[virtual_account][expires_after_days]",
                    "0",
                )],
            ]
            .concat(),
            "payment_method_options[virtual_account][expires_after_days]",
        ),
        (
            [
                va_form("1000", "004"),
                vec![
                    ("cash_receipt[type]", "gift"),
                    ("cash_receipt[identifier]", "01012345678"),
                ],
            ]
            .concat(),
            "cash_receipt[type]",
        ),
        (
            [
                va_form("1000", "004"),
                vec![
                    ("cash_receipt[type]", "expense_proof"),
                    ("cash_receipt[identifier]", "1234567890"),
                ],
            ]
            .concat(),
            "cash_receipt[identifier]",
        ),
        (
            va_form("1000", "004")
                .into_iter()
                .map(|(k, v)| if k == "currency" { (k, "usd") } else { (k, v) })
                .collect(),
            "currency",
        ),
    ];
    for (form, param) in cases {
        let (s, e) = va.app.post("/v1/payment_intents", &form).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{param}: {e}");
        assert_eq!(e["error"]["param"], param, "{e}");
    }
    let mut card = support::card_payment_form(support::VISA, "1000");
    card.push(("cash_receipt[type]", "income_deduction"));
    card.push(("cash_receipt[identifier]", "01012345678"));
    let (s, e) = va.app.post("/v1/payment_intents", &card).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    assert_eq!(e["error"]["param"], "cash_receipt");
}

#[tokio::test]
async fn the_cash_receipt_shows_on_the_charge_masked() {
    let va = spawn().await;
    let mut form = va_form("7000", "011");
    form.push(("cash_receipt[type]", "income_deduction"));
    form.push(("cash_receipt[identifier]", "010-1234-5678"));
    let (_, pi) = va.app.post("/v1/payment_intents", &form).await;
    let number = pi["next_action"]["display_bank_transfer_instructions"]["financial_addresses"][0]
        ["kr_virtual_account"]["account_number"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, pi) = deposit(&va, &number, "7000").await;
    let (_, ch) = va
        .app
        .get(&format!(
            "/v1/charges/{}",
            pi["latest_charge"].as_str().unwrap()
        ))
        .await;
    let receipt = &ch["payment_method_details"]["virtual_account"]["cash_receipt"];
    assert_eq!(receipt["type"], "income_deduction");
    assert_eq!(receipt["identifier"], "*******5678");
    assert!(!ch.to_string().contains("01012345678"));
}

#[tokio::test]
async fn another_merchant_cannot_deposit_into_or_see_the_account() {
    let va = spawn().await;
    let (pi_id, number) = issue(&va, "10000").await;
    let other = va.app.other_merchant().await;
    let path = format!("/v1/test_helpers/virtual_accounts/{number}/deposit");
    let (s, e) = va
        .app
        .post_as(
            &other,
            &path,
            &[("amount", "10000"), ("depositor_name", "x")],
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{e}");
    let (s, _) = va
        .app
        .get_as(&other, &format!("/v1/payment_intents/{pi_id}"))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(
        !journal(&va).iter().any(|l| l.event == "deposit"),
        "nothing reached the bank"
    );
}

async fn paid(va: &Va, amount: &str) -> Value {
    let (_, number) = issue(va, amount).await;
    let (s, pi) = deposit(va, &number, amount).await;
    assert_eq!(s, StatusCode::OK, "{pi}");
    pi
}

#[tokio::test]
async fn a_refund_is_transferred_to_the_refund_account_and_posted_to_the_ledger() {
    let va = spawn().await;
    let pi = paid(&va, "20000").await;
    let pi_id = pi["id"].as_str().unwrap();
    let before = va.bank.balance("004", "12345678901234").unwrap().unwrap();
    let (s, e) = va
        .app
        .post(
            "/v1/refunds",
            &[("payment_intent", pi_id), ("amount", "5000")],
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    assert_eq!(e["error"]["param"], "refund_account");
    let form = [
        ("payment_intent", pi_id),
        ("amount", "5000"),
        ("refund_account[bank_code]", "004"),
        ("refund_account[account_number]", "123456-78-901234"),
        ("refund_account[holder_name]", "홍길동"),
    ];
    let (s, re) = va.app.post_idem("/v1/refunds", &form, "refund-1").await;
    assert_eq!(s, StatusCode::OK, "{re}");
    assert_eq!(re["status"], "succeeded");
    assert_eq!(re["destination_details"]["type"], "kr_bank_transfer");
    assert_eq!(
        re["destination_details"]["kr_bank_transfer"]["account_number"],
        "**********1234"
    );
    let (_, again) = va.app.post_idem("/v1/refunds", &form, "refund-1").await;
    assert_eq!(
        again["id"], re["id"],
        "the retry is answered, not transferred again"
    );
    assert_eq!(
        va.bank.balance("004", "12345678901234").unwrap(),
        Some(before + 5000)
    );
    let transfers: Vec<_> = journal(&va)
        .into_iter()
        .filter(|l| l.event == "transfer")
        .collect();
    assert_eq!(transfers.len(), 1);
    assert_eq!(transfers[0].reference, re["id"].as_str().unwrap());
    assert!(va.app.ledger_problems().await.is_empty());
    assert!(
        va.app
            .event_types()
            .await
            .contains(&"charge.refunded".to_string())
    );
}

#[tokio::test]
async fn a_transfer_the_bank_refuses_fails_the_refund_and_moves_no_money() {
    let va = spawn().await;
    let pi = paid(&va, "9000").await;
    let form = [
        ("payment_intent", pi["id"].as_str().unwrap()),
        ("refund_account[bank_code]", "004"),
        ("refund_account[account_number]", "12345678901234"),
        ("refund_account[holder_name]", "김철수"),
    ];
    let (s, re) = va.app.post("/v1/refunds", &form).await;
    assert_eq!(s, StatusCode::OK, "{re}");
    assert_eq!(re["status"], "failed");
    assert!(
        journal(&va)
            .iter()
            .any(|l| l.event == "transfer_refused" && l.resp == "T002")
    );
    let (_, ch) = va
        .app
        .get(&format!(
            "/v1/charges/{}",
            pi["latest_charge"].as_str().unwrap()
        ))
        .await;
    assert_eq!(ch["amount_refunded"], 0);
}

#[tokio::test]
async fn refund_account_fields_are_checked_and_refused_for_cards() {
    let va = spawn().await;
    let pi = paid(&va, "9000").await;
    let id = pi["id"].as_str().unwrap();
    let cases = [
        (
            ("refund_account[bank_code]", "999"),
            "refund_account[bank_code]",
        ),
        (
            ("refund_account[account_number]", "12-34"),
            "refund_account[account_number]",
        ),
        (
            ("refund_account[holder_name]", ""),
            "refund_account[holder_name]",
        ),
    ];
    for ((k, v), param) in cases {
        let mut form = vec![
            ("payment_intent", id),
            ("refund_account[bank_code]", "004"),
            ("refund_account[account_number]", "12345678901234"),
            ("refund_account[holder_name]", "홍길동"),
        ];
        form.retain(|(f, _)| *f != k);
        form.push((k, v));
        let (s, e) = va.app.post("/v1/refunds", &form).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{param}: {e}");
        assert_eq!(e["error"]["param"], param, "{e}");
    }
    let (s, card) = va.app.pay(support::VISA, 5000, &[]).await;
    assert_eq!(s, StatusCode::OK, "{card}");
    let form = [
        ("payment_intent", card["id"].as_str().unwrap()),
        ("refund_account[bank_code]", "004"),
        ("refund_account[account_number]", "12345678901234"),
        ("refund_account[holder_name]", "홍길동"),
    ];
    let (s, e) = va.app.post("/v1/refunds", &form).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    assert_eq!(e["error"]["param"], "refund_account");
}
