//! 휴대폰 소액결제, 가상계좌 and 계좌이체 through the official `stripe` Python library,
//! unmodified (`tests/data/stripe_python/korean_methods.py`, `bank_transfer.py`): the
//! merchant's calls are the library's
//! (`PaymentIntent.create`, `retrieve`, `Refund.create`, `BalanceTransaction.list`,
//! `Event.list`); the payer's carrier page, the SMS, the bank deposit and the bank's login and
//! approval pages go through plain HTTP (the page's forms, the test helpers). What the script saw is checked again here against
//! the API, the ledger and each simulator's journal. Without python3 the test fails, unless
//! `PAYGATE_SKIP_PYTHON=1`.

mod carrier_support;
mod python_support;
mod support;

use python_support::{last_json, run_python, venv};
use serde_json::json;
use std::path::Path;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stripe_python_pays_and_refunds_mobile_carrier_and_virtual_account_payments() {
    let Some(py) = venv() else { return };
    let w = carrier_support::world().await;
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/stripe_python/korean_methods.py");
    let v = last_json(&run_python(&py, &script, &[&w.app.base, &w.app.key]).await);

    // 휴대폰 소액결제: page, SMS code, charge, full refund at the carrier.
    let mc = &v["mobile_carrier"];
    assert_eq!(mc["status"], "succeeded", "{v}");
    assert_eq!(
        mc["details"],
        json!(["mobile_carrier", "skt", "5678"]),
        "{v}"
    );
    assert_eq!(mc["partial_refund"], json!([400, "amount"]), "{v}");
    assert_eq!(mc["refund"][1], "succeeded", "{v}");
    assert_eq!(mc["refund"][2], 15000, "{v}");
    assert_eq!(mc["charge_refunded"], true, "{v}");
    let carrier = paygate_sim_carrier::journal(&w.carrier_dir).unwrap();
    let events: Vec<&str> = carrier.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(events, ["code_sent", "verified", "charged", "canceled"]);
    assert_eq!(carrier[2].payment, carrier[3].payment);

    // 가상계좌: instructions, partial then exact deposit, refund to an account.
    let va = &v["virtual_account"];
    let number = va["instructions"][5].as_str().unwrap();
    assert_eq!(
        va["instructions"],
        json!([
            "kr_virtual_account",
            30000,
            "krw",
            "088",
            "신한은행",
            number
        ]),
        "{v}"
    );
    assert_eq!(
        va["partial"],
        json!(["requires_action", 10000, 20000]),
        "{v}"
    );
    assert_eq!(va["paid"], json!(["succeeded", 30000]), "{v}");
    assert_eq!(
        va["refund_without_account"],
        json!([400, "refund_account"]),
        "{v}"
    );
    assert_eq!(va["refund"][1], "succeeded", "{v}");
    assert_eq!(va["refund"][2], 5000, "{v}");
    assert_eq!(va["refund"][3], "kr_bank_transfer", "{v}");
    assert_eq!(va["refund"][4], "**********1234", "{v}");
    let bank = paygate_sim_bank::journal(&w.bank_dir).unwrap();
    let count = |e: &str| bank.iter().filter(|l| l.event == e).count();
    assert_eq!(
        (count("deposit"), count("notice_acked")),
        (2, 2),
        "{bank:?}"
    );
    let transfer = bank.iter().find(|l| l.event == "transfer").unwrap();
    assert_eq!(transfer.reference, va["refund"][0].as_str().unwrap());
    assert_eq!(transfer.amount, 5000);

    // The books as the library read them, and as the ledger holds them.
    let books = &v["books"];
    assert_eq!(books["refund_txns"], json!([-15000, -5000]), "{v}");
    let ev = &books["events"];
    assert_eq!(ev["payment_intent.succeeded"], 2, "{v}");
    assert_eq!(ev["payment_intent.partially_funded"], 1, "{v}");
    assert_eq!(ev["charge.refunded"], 2, "{v}");
    assert!(w.app.ledger_problems().await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stripe_python_pays_declines_and_refunds_bank_transfer_payments() {
    let Some(py) = venv() else { return };
    let w = carrier_support::world().await;
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/stripe_python/bank_transfer.py");
    let v = last_json(&run_python(&py, &script, &[&w.app.base, &w.app.key]).await);

    // Paid from KB국민 12345678901234 through the bank's pages, refunded part then the rest.
    let paid = &v["paid"];
    let pi = paid["id"].as_str().unwrap();
    assert_eq!(paid["status"], "succeeded", "{v}");
    assert_eq!(paid["amount_received"], 50000, "{v}");
    assert_eq!(
        paid["details"],
        json!(["bank_transfer", "004", "KB국민은행", "1234"]),
        "{v}"
    );
    let txn = &paid["charge_txns"][0];
    assert_eq!((&txn[0], &txn[1]), (&json!("charge"), &json!(50000)), "{v}");
    let fee = txn[2].as_i64().unwrap();
    assert_eq!(txn[3], 50000 - fee, "{v}");
    assert_eq!(paid["charge_txns"].as_array().unwrap().len(), 1, "{v}");
    assert_eq!(
        paid["refund_with_account"],
        json!([400, "refund_account"]),
        "{v}"
    );
    let refunds = paid["refunds"].as_array().unwrap();
    for (r, amount) in refunds.iter().zip([20000, 30000]) {
        assert_eq!(r[1], "succeeded", "{v}");
        assert_eq!(r[2], amount, "{v}");
        assert_eq!(r[3], "kr_bank_transfer", "{v}");
        assert_eq!(r[4], "****1234", "{v}");
    }
    assert_eq!(paid["charge"], json!([true, 50000]), "{v}");
    assert!(
        !v.to_string().contains("12345678901234"),
        "never the whole account: {v}"
    );

    // Declined: 하나 50,000 KRW balance, 80,000 asked.
    let declined = &v["declined"];
    assert_eq!(declined["status"], "requires_payment_method", "{v}");
    assert_eq!(
        declined["error"],
        json!(["card_error", "insufficient_funds"]),
        "{v}"
    );

    // The books as the library read them, and as the ledger holds them.
    let books = &v["books"];
    assert_eq!(books["refund_txns"], json!([-30000, -20000]), "{v}");
    let ev = &books["events"];
    assert_eq!(ev["payment_intent.requires_action"], 2, "{v}");
    assert_eq!(ev["charge.succeeded"], 1, "{v}");
    assert_eq!(ev["payment_intent.succeeded"], 1, "{v}");
    assert_eq!(ev["payment_intent.payment_failed"], 1, "{v}");
    assert_eq!(ev["charge.refunded"], 2, "{v}");
    assert!(w.app.ledger_problems().await.is_empty());
    // Refunded in full: what the merchant holds is the fee it paid, as the ledger says too.
    assert_eq!(books["balance"], json!([-fee, -fee]), "{v}");
    let (available, pending) = w.app.balance().await;
    assert_eq!(available + pending, -fee, "{v}");

    // The bank's journal: one debit confirmed, one refused, both refunds paid back.
    let bank = paygate_sim_bank::journal(&w.bank_dir).unwrap();
    let lines = |e: &str| bank.iter().filter(|l| l.event == e).collect::<Vec<_>>();
    let debit = lines("debit");
    assert_eq!(debit.len(), 1, "{bank:?}");
    assert_eq!((debit[0].amount, debit[0].reference.as_str()), (50000, pi));
    assert_eq!(lines("debit_confirmed").len(), 1, "{bank:?}");
    let refused = lines("debit_refused");
    assert_eq!(refused.len(), 1, "{bank:?}");
    assert_eq!(
        (refused[0].resp.as_str(), refused[0].reference.as_str()),
        ("T003", declined["id"].as_str().unwrap())
    );
    let paid_back: Vec<(i64, &str)> = lines("payer_refund")
        .iter()
        .map(|l| (l.amount, l.reference.as_str()))
        .collect();
    let refund_ids: Vec<&str> = refunds.iter().map(|r| r[0].as_str().unwrap()).collect();
    assert_eq!(
        paid_back,
        [(20000, refund_ids[0]), (30000, refund_ids[1])],
        "{bank:?}"
    );
    assert_eq!(
        w.bank.balance("004", "12345678901234").unwrap(),
        Some(1_000_000)
    );
    assert_eq!(
        w.bank.balance("081", "12391012345678").unwrap(),
        Some(50_000)
    );
    let journal: Vec<paygate_gateway::reconcile_bank::BankLine> =
        serde_json::from_value(serde_json::to_value(&bank).unwrap()).unwrap();
    let report =
        paygate_gateway::reconcile_bank::reconcile_bank(&w.app.server.state.store, &journal)
            .await
            .unwrap();
    assert_eq!((report.debits_at_bank, report.transfers_at_bank), (1, 2));
    assert!(report.problems.is_empty(), "{:?}", report.problems);
}
