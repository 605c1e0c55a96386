//! 휴대폰 소액결제 and 가상계좌 through the official `stripe` Python library, unmodified
//! (`tests/data/stripe_python/korean_methods.py`): the merchant's calls are the library's
//! (`PaymentIntent.create`, `retrieve`, `Refund.create`, `BalanceTransaction.list`,
//! `Event.list`); the payer's carrier page, the SMS and the bank deposit go through plain HTTP
//! (the page's forms, the test helpers). What the script saw is checked again here against
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
