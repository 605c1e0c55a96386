//! 휴대폰 소액결제 end to end in process: the gateway, the carrier, SMS gateway and bank
//! simulators on one shared test-clock offset (`carrier_support`); the carrier page driven
//! with a plain HTTP client (forms, no script). Every carrier rule (subscriber, minor, monthly
//! limit across merchants, code wrong and expired), the charge's details and ledger, full-only
//! same-month refunds, the refund by bank transfer after the month end, KRW only, tenancy and
//! the carrier's settlement file.

mod carrier_support;
mod support;

use carrier_support::{FEB_1_KST, World, world};
use reqwest::StatusCode;

#[tokio::test]
async fn a_carrier_payment_through_the_page_is_charged_posted_and_refunded_in_full() {
    let w = world().await;
    let (pi, url) = w.intent(&w.app.key, "15000").await;
    let (s, html, action, t) = w.start(&url, "skt", "010-1234-5678", "19900101").await;
    assert_eq!(s, StatusCode::OK, "{html}");
    assert!(
        html.contains("5678") && !html.contains("01012345678"),
        "{html}"
    );
    let code = w.code("01012345678").await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let r = w.otp(&action, &t, wrong).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = w.otp(&action, &t, &code).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let loc = r.headers()["location"].to_str().unwrap().to_string();
    assert!(
        loc.starts_with("https://shop.example/back") && loc.contains("redirect_status=succeeded"),
        "{loc}"
    );

    let doc = w.intent_doc(&w.app.key, &pi).await;
    assert_eq!(doc["status"], "succeeded", "{doc}");
    let ch_id = doc["latest_charge"].as_str().unwrap();
    let (_, ch) = w.app.get(&format!("/v1/charges/{ch_id}")).await;
    let d = &ch["payment_method_details"];
    assert_eq!(d["type"], "mobile_carrier", "{ch}");
    assert_eq!(d["mobile_carrier"]["carrier"], "skt");
    assert_eq!(d["mobile_carrier"]["phone_last4"], "5678");
    assert!(!ch.to_string().contains("01012345678"), "{ch}");
    assert_eq!(ch["captured"], true);
    assert!(w.app.ledger_problems().await.is_empty());
    assert!(
        w.app
            .event_types()
            .await
            .contains(&"payment_intent.succeeded".to_string())
    );

    // Tenancy: another merchant does not see it.
    let other = w.app.other_merchant().await;
    let (s, _) = w
        .app
        .get_as(&other, &format!("/v1/payment_intents/{pi}"))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // Full only.
    let (s, e) = w
        .app
        .post("/v1/refunds", &[("charge", ch_id), ("amount", "5000")])
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    assert_eq!(e["error"]["param"], "amount", "{e}");
    // In the month the bill is cancelled at the carrier: a refund account is refused.
    let to_account = [&[("charge", ch_id)], &REFUND_ACCOUNT[..]].concat();
    let (s, e) = w.app.post("/v1/refunds", &to_account).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    assert_eq!(e["error"]["param"], "refund_account", "{e}");
    let (s, rf) = w.app.post("/v1/refunds", &[("charge", ch_id)]).await;
    assert_eq!(s, StatusCode::OK, "{rf}");
    assert_eq!(rf["status"], "succeeded", "{rf}");
    assert!(w.app.ledger_problems().await.is_empty());

    // The carrier's file of January: the payment, cancelled.
    let file =
        paygate_sim_carrier::settlement_file(&w.carrier_dir, &w.app.merchant, "2026-01").unwrap();
    let parsed = paygate_connector_carrier::settlement::parse(&file).unwrap();
    assert_eq!(parsed.details.len(), 1, "{file}");
    assert_eq!(parsed.details[0].reference, pi);
    assert!(parsed.details[0].canceled);
    let journal = paygate_sim_carrier::journal(&w.carrier_dir).unwrap();
    let events: Vec<&str> = journal.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(
        events,
        ["code_sent", "code_wrong", "verified", "charged", "canceled"]
    );
    assert!(journal.iter().all(|e| e.phone == "010****5678"));
    drop(w.carrier);
}

/// The customer's account the refunds after the month end go to (docs/VIRTUAL_ACCOUNTS.md).
const REFUND_ACCOUNT: [(&str, &str); 3] = [
    ("refund_account[bank_code]", "004"),
    ("refund_account[account_number]", "12345678901234"),
    ("refund_account[holder_name]", "홍길동"),
];

#[tokio::test]
async fn after_the_kst_month_end_the_refund_is_a_bank_transfer_to_the_refund_account() {
    let w = world().await;
    let pi = w
        .pay(&w.app.key, "9000", "01012345678", "skt", "19900101")
        .await;
    let doc = w.intent_doc(&w.app.key, &pi).await;
    let ch = doc["latest_charge"].as_str().unwrap().to_string();
    w.clock.set(FEB_1_KST);
    let (s, e) = w.app.post("/v1/refunds", &[("charge", &ch)]).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    assert_eq!(
        e["error"]["code"], "charge_not_refundable_after_month_end",
        "{e}"
    );
    assert_eq!(e["error"]["param"], "refund_account", "{e}");
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("bank transfer"),
        "{e}"
    );

    // With the account: a part, then the rest (a transfer is not the carrier's full cancel).
    let before = w.bank.balance("004", "12345678901234").unwrap().unwrap();
    let part = [
        &[("charge", ch.as_str()), ("amount", "4000")],
        &REFUND_ACCOUNT[..],
    ]
    .concat();
    let (s, first) = w.app.post_idem("/v1/refunds", &part, "after-month-1").await;
    assert_eq!(s, StatusCode::OK, "{first}");
    assert_eq!(first["status"], "succeeded", "{first}");
    let dest = &first["destination_details"];
    assert_eq!(dest["type"], "kr_bank_transfer", "{first}");
    assert_eq!(dest["kr_bank_transfer"]["bank_code"], "004");
    assert_eq!(dest["kr_bank_transfer"]["account_number"], "**********1234");
    let (_, again) = w.app.post_idem("/v1/refunds", &part, "after-month-1").await;
    assert_eq!(again["id"], first["id"], "a retry transfers nothing more");
    let rest = [&[("charge", ch.as_str())], &REFUND_ACCOUNT[..]].concat();
    let (s, second) = w.app.post("/v1/refunds", &rest).await;
    assert_eq!(s, StatusCode::OK, "{second}");
    assert_eq!(second["amount"], 5000, "{second}");
    let (_, charge) = w.app.get(&format!("/v1/charges/{ch}")).await;
    assert_eq!(charge["refunded"], true, "{charge}");
    assert_eq!(charge["amount_refunded"], 9000, "{charge}");

    // The bank moved the money once per refund and journaled it.
    let balance = w.bank.balance("004", "12345678901234").unwrap();
    assert_eq!(balance, Some(before + 9000));
    let transfers: Vec<_> = paygate_sim_bank::journal(&w.bank_dir)
        .unwrap()
        .into_iter()
        .filter(|l| l.event == "transfer")
        .map(|l| (l.reference, l.amount))
        .collect();
    let id = |r: &serde_json::Value| r["id"].as_str().unwrap().to_string();
    assert_eq!(transfers, [(id(&first), 4000), (id(&second), 5000)]);
    // Ledger and events: two refunds posted, the charge refunded.
    assert!(w.app.ledger_problems().await.is_empty());
    let (_, txns) = w.app.get("/v1/balance_transactions?type=refund").await;
    let amounts: Vec<i64> = txns["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["amount"].as_i64().unwrap())
        .collect();
    assert_eq!(amounts.iter().sum::<i64>(), -9000, "{txns}");
    let events = w.app.event_types().await;
    let count = |t: &str| events.iter().filter(|e| *e == t).count();
    assert_eq!(count("refund.created"), 2, "{events:?}");
    assert_eq!(count("charge.refunded"), 2, "{events:?}");

    // The carrier was never asked to cancel: January's bill still charges it, and the
    // settlement file reconciles (the transfer is the bank's, matched by the bank journal).
    let journal = paygate_sim_carrier::journal(&w.carrier_dir).unwrap();
    assert!(journal.iter().all(|e| e.event != "canceled"), "{journal:?}");
    let file =
        paygate_sim_carrier::settlement_file(&w.carrier_dir, &w.app.merchant, "2026-01").unwrap();
    assert_eq!(reconcile(&w, &file).await, (vec![], 1), "{file}");
}

#[tokio::test]
async fn the_carrier_refuses_minors_unknown_subscribers_and_the_monthly_limit_across_merchants() {
    let w = world().await;
    let refused = async |sk: &str, amount: &str, phone: &str, carrier: &str, birth: &str| {
        let (pi, url) = w.intent(sk, amount).await;
        let (s, html, _, _) = w.start(&url, carrier, phone, birth).await;
        assert_eq!(s, StatusCode::PAYMENT_REQUIRED, "{html}");
        let doc = w.intent_doc(sk, &pi).await;
        assert_eq!(doc["status"], "requires_payment_method", "{doc}");
        doc["last_payment_error"]["code"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let key = w.app.key.clone();
    assert_eq!(
        refused(&key, "1000", "01099990000", "kt", "20120303").await,
        "mobile_minor_not_allowed"
    );
    assert_eq!(
        refused(&key, "1000", "01077770000", "skt", "19900101").await,
        "mobile_subscriber_not_found"
    );
    // LGU+ subscriber, 300,000 KRW a month: 200,000 here, then 150,000 at another shop.
    w.pay(&key, "200000", "01055550000", "lgu", "19850505")
        .await;
    let other = w.app.other_merchant().await;
    assert_eq!(
        refused(&other, "150000", "01055550000", "lgu", "19850505").await,
        "mobile_monthly_limit_exceeded"
    );
    // Next month the limit is fresh.
    w.clock.set(FEB_1_KST);
    w.pay(&other, "150000", "01055550000", "lgu", "19850505")
        .await;
}

#[tokio::test]
async fn an_expired_code_is_refused_and_a_new_one_pays() {
    let w = world().await;
    let (pi, url) = w.intent(&w.app.key, "3000").await;
    let (_, _, action, t) = w.start(&url, "skt", "01012345678", "19900101").await;
    let old = w.code("01012345678").await;
    w.clock.advance(181);
    let r = w.otp(&action, &t, &old).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let form = [
        ("t", t.as_str()),
        ("step", "resend"),
        ("phone", "01012345678"),
    ];
    let r = w.http.post(&action).form(&form).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let new = w.code("01012345678").await;
    assert_eq!(
        w.otp(&action, &t, &new).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(w.intent_doc(&w.app.key, &pi).await["status"], "succeeded");

    // The test helper lists both codes the carrier sent for this merchant's intent, newest
    // first; another merchant sees none of them.
    let path = "/v1/test_helpers/sms_messages?phone=01012345678";
    let (s, list) = w.app.get_as(&w.app.key, path).await;
    assert_eq!(s, StatusCode::OK, "{list}");
    let bodies: Vec<&str> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap())
        .collect();
    assert_eq!(bodies.len(), 2, "{list}");
    assert!(
        bodies[0].contains(&new) && bodies[1].contains(&old),
        "{list}"
    );
    let other = w.app.other_merchant().await;
    let (s, list) = w.app.get_as(&other, path).await;
    assert_eq!(s, StatusCode::OK, "{list}");
    assert_eq!(list["data"], serde_json::json!([]), "{list}");
}

#[tokio::test]
async fn mobile_carrier_is_krw_only() {
    let w = world().await;
    let form = [
        ("amount", "1000"),
        ("currency", "usd"),
        ("payment_method_data[type]", "mobile_carrier"),
        ("confirm", "true"),
        ("return_url", "https://shop.example/back"),
    ];
    let (s, e) = w.app.post("/v1/payment_intents", &form).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    assert_eq!(e["error"]["param"], "currency", "{e}");
}

/// Reconciles `file` against the gateway's books; (kind, charge) of every problem.
async fn reconcile(w: &World, file: &str) -> (Vec<(String, Option<String>)>, u64) {
    use paygate_gateway::reconcile::carrier::reconcile_carrier;
    let parsed = paygate_connector_carrier::settlement::parse(file).unwrap();
    let r = reconcile_carrier(&w.app.server.state.store, &parsed)
        .await
        .unwrap();
    let kinds = r
        .problems
        .iter()
        .map(|p| (p.kind.to_string(), p.charge.clone()))
        .collect();
    (kinds, r.matched)
}

/// The file with its detail records rewritten by `edit` (the trailer's count follows).
fn tampered(file: &str, edit: impl Fn(Vec<String>) -> Vec<String>) -> String {
    let lines: Vec<&str> = file.lines().collect();
    let details: Vec<String> = lines[1..lines.len() - 1]
        .iter()
        .map(|l| l.to_string())
        .collect();
    let details = edit(details);
    let mut out = format!("{}\n", lines[0]);
    for d in &details {
        out.push_str(&format!("{d}\n"));
    }
    out.push_str(&format!("T|{}|0|0|0|0|0\n", details.len()));
    out
}

#[tokio::test]
async fn the_settlement_file_reconciles_and_every_difference_is_named() {
    let w = world().await;
    let kept = w
        .pay(&w.app.key, "9000", "01012345678", "skt", "19900101")
        .await;
    let back = w
        .pay(&w.app.key, "4000", "01055550000", "lgu", "19850505")
        .await;
    let charge_of = async |pi: &str| {
        w.intent_doc(&w.app.key, pi).await["latest_charge"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let (kept_ch, back_ch) = (charge_of(&kept).await, charge_of(&back).await);
    let (s, rf) = w.app.post("/v1/refunds", &[("charge", &back_ch)]).await;
    assert_eq!(s, StatusCode::OK, "{rf}");
    let file =
        paygate_sim_carrier::settlement_file(&w.carrier_dir, &w.app.merchant, "2026-01").unwrap();
    assert_eq!(reconcile(&w, &file).await, (vec![], 2), "{file}");

    // The kept payment is not in the file; the refunded one is billed 4,100 and still charged.
    let f = tampered(&file, |ds| {
        ds.into_iter()
            .filter(|d| d.split('|').nth(2) != Some(kept.as_str()))
            .map(|d| {
                let mut f: Vec<String> = d.split('|').map(str::to_string).collect();
                f[5] = "4100".into();
                f[7] = "charged".into();
                f[8] = String::new();
                f.join("|")
            })
            .collect()
    });
    let (problems, _) = reconcile(&w, &f).await;
    assert!(problems.contains(&("missing_at_carrier".into(), Some(kept_ch.clone()))));
    assert!(problems.contains(&("amount_mismatch".into(), Some(back_ch.clone()))));
    assert!(problems.contains(&("cancel_mismatch".into(), Some(back_ch.clone()))));
    assert_eq!(problems.len(), 3, "{problems:?}");

    // A payment billed at the carrier that the gateway never recorded; the same, cancelled, is
    // a reversal and no problem.
    let f = tampered(&file, |mut ds| {
        ds.push("D|cbp_unknown|pi_unknown|skt|010****0001|5000|1768446000|charged|".into());
        ds.push("D|cbp_reversed|pi_x|skt|010****0001|5000|1768446000|canceled|1768446001".into());
        ds
    });
    assert_eq!(
        reconcile(&w, &f).await,
        (vec![("missing_at_gateway".to_string(), None)], 2)
    );
}
