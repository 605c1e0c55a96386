//! 계좌이체 end to end in process: the gateway and the bank simulator (its telegram link and
//! its own login pages), driven with a plain HTTP client through paygate's bank choice page,
//! the bank's login and approval pages and paygate's return page (forms, no script).
//! Success with ledger, events and the bank's journal reconciled; insufficient balance;
//! wrong passwords and a locked account; a forged return; refunds to the payer's account;
//! idempotent confirm; KRW only; tenancy.

mod bank_transfer_support;
mod support;

use bank_transfer_support::{SHOP, between, location, world};
use reqwest::StatusCode;

#[tokio::test]
async fn a_transfer_approved_at_the_bank_succeeds_with_ledger_events_and_a_reconciled_journal() {
    let w = world().await;
    let f = w.confirm("50000").await;
    let bank_url = w.choose(&f, "004").await;
    assert!(
        bank_url.starts_with(w.bank.pages_url().unwrap()),
        "the payer logs in on the bank's own page: {bank_url}"
    );
    let ret = w.approve(&bank_url, "12345678901234", "1111").await;
    assert!(
        ret.contains(&format!("/pay/bank_transfer/{}/return", f.pi)),
        "{ret}"
    );
    let (s, loc) = w.back(&ret).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert!(
        loc.starts_with(SHOP) && loc.contains("redirect_status=succeeded"),
        "{loc}"
    );
    let pi = w.intent(&f.pi).await;
    assert_eq!(pi["status"], "succeeded");
    assert_eq!(pi["amount_received"], 50000);
    let ch_id = pi["latest_charge"].as_str().unwrap();
    let (_, ch) = w.app.get(&format!("/v1/charges/{ch_id}")).await;
    let d = &ch["payment_method_details"];
    assert_eq!(d["type"], "bank_transfer");
    assert_eq!(d["bank_transfer"]["bank_code"], "004");
    assert_eq!(d["bank_transfer"]["account_last4"], "1234");
    assert!(
        !ch.to_string().contains("12345678901234"),
        "never the whole account: {ch}"
    );
    let events = w.app.event_types().await;
    for e in [
        "payment_intent.requires_action",
        "charge.succeeded",
        "payment_intent.succeeded",
    ] {
        assert!(events.contains(&e.to_string()), "{e} in {events:?}");
    }
    let (available, pending) = w.app.balance().await;
    assert_eq!(available, 0);
    assert!(pending > 0 && pending <= 50000, "{pending}");
    assert!(w.app.ledger_problems().await.is_empty());
    assert_eq!(
        w.bank.balance("004", "12345678901234").unwrap(),
        Some(950_000)
    );
    let debit = w.events("debit");
    assert_eq!(debit.len(), 1);
    assert_eq!(
        (debit[0].amount, debit[0].reference.as_str()),
        (50000, f.pi.as_str())
    );
    assert_eq!(w.events("debit_confirmed").len(), 1);
    let report = w.reconcile().await;
    assert_eq!(report.debits_at_bank, 1);
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    // The return page again (a reload) charges nothing twice.
    let (s, loc) = w.back(&ret).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert!(loc.contains("redirect_status=succeeded"));
    assert_eq!(w.events("debit_confirmed").len(), 1);
    assert_eq!(
        w.bank.balance("004", "12345678901234").unwrap(),
        Some(950_000)
    );
}

#[tokio::test]
async fn an_insufficient_balance_is_declined_with_insufficient_funds_and_nothing_debited() {
    let w = world().await;
    let f = w.confirm("80000").await;
    let bank_url = w.choose(&f, "081").await;
    let ret = w.approve(&bank_url, "12391012345678", "4444").await;
    let (s, loc) = w.back(&ret).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert!(loc.contains("redirect_status=failed"), "{loc}");
    let pi = w.intent(&f.pi).await;
    assert_eq!(pi["status"], "requires_payment_method");
    assert_eq!(
        pi["last_payment_error"]["decline_code"],
        "insufficient_funds"
    );
    assert!(
        w.app
            .event_types()
            .await
            .contains(&"payment_intent.payment_failed".to_string())
    );
    assert_eq!(
        w.bank.balance("081", "12391012345678").unwrap(),
        Some(50_000)
    );
    assert_eq!(w.events("debit_refused")[0].resp, "T003");
    assert!(w.events("debit").is_empty());
    assert_eq!(w.app.balance().await, (0, 0));
    assert!(w.reconcile().await.problems.is_empty());
}

#[tokio::test]
async fn three_wrong_passwords_lock_the_account_and_refuse_the_payment() {
    let w = world().await;
    let f = w.confirm("10000").await;
    let bank_url = w.choose(&f, "088").await;
    for left in [2, 1] {
        let r = w.login(&bank_url, "110123456789", "0000").await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        let html = r.text().await.unwrap();
        assert!(html.contains(&format!("남은 횟수 {left}회")), "{html}");
        assert!(!html.contains("0000\""), "the password is never echoed");
    }
    let r = w.login(&bank_url, "110123456789", "0000").await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "locked: back to the shop"
    );
    let (s, loc) = w.back(&location(&r)).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert!(loc.contains("redirect_status=failed"));
    let pi = w.intent(&f.pi).await;
    assert_eq!(pi["status"], "requires_payment_method");
    assert_eq!(
        pi["last_payment_error"]["decline_code"],
        "bank_account_locked"
    );
    // The lock is the account's: the right password on a new attempt is refused too.
    let f2 = w.confirm("10000").await;
    let bank_url = w.choose(&f2, "088").await;
    let r = w.login(&bank_url, "110123456789", "2222").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        w.bank.balance("088", "110123456789").unwrap(),
        Some(500_000)
    );
    // The documented locked account is refused from the start.
    let f3 = w.confirm("10000").await;
    let bank_url = w.choose(&f3, "004").await;
    let r = w.login(&bank_url, "98765432109876", "6666").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(w.events("debit").is_empty());
}

#[tokio::test]
async fn a_forged_return_marks_nothing_paid() {
    let w = world().await;
    let f = w.confirm("30000").await;
    // The return page before any order: nothing to confirm.
    let ret = format!("{}/return?t={}", f.page.split('?').next().unwrap(), f.token);
    let (s, _) = w.back(&ret).await;
    assert_eq!(s, StatusCode::CONFLICT);
    let bank_url = w.choose(&f, "004").await;
    // Logged in but not approved: the bank says so over the link.
    let r = w.login(&bank_url, "12345678901234", "1111").await;
    assert_eq!(r.status(), StatusCode::OK);
    let (s, _) = w.back(&ret).await;
    assert_eq!(s, StatusCode::CONFLICT);
    // A made-up token is no page at all.
    let forged = format!(
        "{}/return?t=9999999999.AAAA",
        f.page.split('?').next().unwrap()
    );
    let (s, _) = w.back(&forged).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let pi = w.intent(&f.pi).await;
    assert_eq!(pi["status"], "requires_action");
    assert!(pi["latest_charge"].is_null());
    assert!(w.events("debit").is_empty());
    assert_eq!(w.app.balance().await, (0, 0));
    // The payer can still approve, and then the same return succeeds.
    let html = r.text().await.unwrap();
    let session = between(&html, "name=\"session\" value=\"").to_string();
    let r = w
        .http
        .post(format!("{bank_url}/approve"))
        .form(&[("session", session.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (s, loc) = w.back(&ret).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert!(loc.contains("redirect_status=succeeded"), "{loc}");
}

#[tokio::test]
async fn refunds_go_back_to_the_payers_account_part_then_the_rest() {
    let w = world().await;
    let f = w.pay("50000", "011", "3020000012345", "5555").await;
    assert_eq!(
        w.bank.balance("011", "3020000012345").unwrap(),
        Some(9_950_000)
    );
    let given = [
        ("payment_intent", f.pi.as_str()),
        ("amount", "1000"),
        ("refund_account[bank_code]", "004"),
        ("refund_account[account_number]", "12345678901234"),
        ("refund_account[holder_name]", "홍길동"),
    ];
    let (s, e) = w.app.post("/v1/refunds", &given).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(e["error"]["param"], "refund_account", "{e}");
    let (s, re) = w
        .app
        .post(
            "/v1/refunds",
            &[("payment_intent", f.pi.as_str()), ("amount", "20000")],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{re}");
    assert_eq!(re["status"], "succeeded");
    assert_eq!(re["destination_details"]["type"], "kr_bank_transfer");
    assert_eq!(
        re["destination_details"]["kr_bank_transfer"]["account_number"],
        "****2345"
    );
    assert_eq!(
        w.bank.balance("011", "3020000012345").unwrap(),
        Some(9_970_000)
    );
    let (s, re2) = w
        .app
        .post("/v1/refunds", &[("payment_intent", f.pi.as_str())])
        .await;
    assert_eq!(s, StatusCode::OK, "{re2}");
    assert_eq!(re2["amount"], 30000);
    assert_eq!(
        w.bank.balance("011", "3020000012345").unwrap(),
        Some(10_000_000)
    );
    let refunds = w.events("payer_refund");
    assert_eq!(refunds.len(), 2);
    assert_eq!(refunds[0].reference, re["id"].as_str().unwrap());
    assert!(
        w.app
            .event_types()
            .await
            .contains(&"charge.refunded".to_string())
    );
    assert!(w.app.ledger_problems().await.is_empty());
    let report = w.reconcile().await;
    assert_eq!(report.transfers_at_bank, 2);
    assert!(report.problems.is_empty(), "{:?}", report.problems);
}

#[tokio::test]
async fn an_idempotent_confirm_answers_the_same_intent_and_only_krw_is_taken() {
    let w = world().await;
    let form = [
        ("amount", "12000"),
        ("currency", "krw"),
        ("payment_method_data[type]", "bank_transfer"),
        ("confirm", "true"),
        ("return_url", SHOP),
    ];
    let (s1, a) = w.app.post_idem("/v1/payment_intents", &form, "bt-1").await;
    let (s2, b) = w.app.post_idem("/v1/payment_intents", &form, "bt-1").await;
    assert_eq!((s1, s2), (StatusCode::OK, StatusCode::OK));
    assert_eq!(a["id"], b["id"]);
    assert_eq!(a["next_action"], b["next_action"]);
    let mut usd = form.to_vec();
    usd[1] = ("currency", "usd");
    let (s, e) = w.app.post("/v1/payment_intents", &usd).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(e["error"]["param"], "currency", "{e}");
    let no_return: Vec<_> = form
        .iter()
        .filter(|(k, _)| *k != "return_url")
        .cloned()
        .collect();
    let (s, e) = w.app.post("/v1/payment_intents", &no_return).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(e["error"]["param"], "return_url", "{e}");
}

#[tokio::test]
async fn another_merchant_sees_neither_the_intent_nor_its_charge_nor_its_page() {
    let w = world().await;
    let f = w.pay("15000", "004", "12345678901234", "1111").await;
    let pi = w.intent(&f.pi).await;
    let ch = pi["latest_charge"].as_str().unwrap();
    let other = w.app.other_merchant().await;
    let (s, _) = w
        .app
        .get_as(&other, &format!("/v1/payment_intents/{}", f.pi))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = w.app.get_as(&other, &format!("/v1/charges/{ch}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, e) = w
        .app
        .post_as(
            &other,
            "/v1/refunds",
            &[("payment_intent", f.pi.as_str())],
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{e}");
    // Another intent's page token does not open this intent's page.
    let g = w.confirm("15000").await;
    let crossed = format!("{}?t={}", f.page.split('?').next().unwrap(), g.token);
    let r = w.http.get(&crossed).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}
