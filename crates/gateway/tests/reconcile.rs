//! Reconciliation of the gateway's books against the network's acquirer report (produced by
//! the simulator, read through `CounterpartyReport` as a JSON report): a mix of payments
//! agrees, and real disagreements — an authorization the gateway never recorded, a tampered
//! captured amount — are found and named.

mod support;

use paygate_gateway::reconcile::{ReconcileReport, Side, kind, reconcile};
use paygate_network::link::{AuthKind, AuthRequest, Link, LinkConfig};
use paygate_network::report::JsonReport;
use paygate_store::{Op, Scope, Store, WriteUnit};
use reqwest::StatusCode;
use serde_json::Value;
use support::{TestApp, VISA};

/// The simulator's "do not honour" test card (DE 39 = 05).
const DECLINED_CARD: &str = "4000000000000002";

/// Charge ids of the payments `mix` made.
struct Mix {
    automatic: String,
    manual: String,
    canceled: String,
    declined: String,
}

/// An automatic payment, a manual one captured in part and refunded twice, a canceled
/// authorization and a decline: 4 charges, 4 authorizations at the network.
async fn mix(app: &TestApp) -> Mix {
    let (s, auto) = app.pay(VISA, 10_000, &[]).await;
    assert_eq!(s, StatusCode::OK, "{auto}");

    let (s, manual) = app.pay(VISA, 20_000, &[("capture_method", "manual")]).await;
    assert_eq!(s, StatusCode::OK, "{manual}");
    let manual_pi = manual["id"].as_str().unwrap();
    let path = format!("/v1/payment_intents/{manual_pi}/capture");
    let (s, captured) = app.post(&path, &[("amount_to_capture", "15000")]).await;
    assert_eq!(s, StatusCode::OK, "{captured}");
    for amount in ["3000", "2000"] {
        let (s, re) = app
            .post(
                "/v1/refunds",
                &[("payment_intent", manual_pi), ("amount", amount)],
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{re}");
        assert_eq!(re["status"], "succeeded");
    }

    let (s, held) = app.pay(VISA, 7_000, &[("capture_method", "manual")]).await;
    assert_eq!(s, StatusCode::OK, "{held}");
    let path = format!(
        "/v1/payment_intents/{}/cancel",
        held["id"].as_str().unwrap()
    );
    let (s, canceled) = app.post(&path, &[]).await;
    assert_eq!(s, StatusCode::OK, "{canceled}");
    assert_eq!(canceled["status"], "canceled");

    let (s, declined) = app.pay(DECLINED_CARD, 5_000, &[]).await;
    assert_eq!(s, StatusCode::PAYMENT_REQUIRED, "{declined}");

    Mix {
        automatic: charge_of(&auto),
        manual: charge_of(&captured),
        canceled: charge_of(&canceled),
        declined: declined["error"]["charge"].as_str().unwrap().to_string(),
    }
}

fn charge_of(pi: &Value) -> String {
    pi["latest_charge"]
        .as_str()
        .unwrap_or_else(|| panic!("no latest_charge in {pi}"))
        .to_string()
}

async fn run(app: &TestApp) -> ReconcileReport {
    run_on(app, &app.server.state.store).await
}

async fn run_on(app: &TestApp, store: &Store) -> ReconcileReport {
    let records = paygate_sim_network::report(&app.sim_dir()).expect("report");
    let json = serde_json::to_value(records).expect("report JSON");
    reconcile(store, &JsonReport::value("simulator", json))
        .await
        .expect("reconcile")
}

/// A reconciliation through a store handle of its own (the gateway's background work reads
/// through the app's), and the reads it made.
async fn counted_run(app: &TestApp) -> (ReconcileReport, u64) {
    let store = paygate_gateway::open_store(&app.server.state.cfg)
        .await
        .expect("a second handle on the gateway's database");
    let report = run_on(app, &store).await;
    (report, store.stats().reads)
}

/// An automatic payment with one partial refund.
async fn refunded_payment(app: &TestApp) {
    let (s, pi) = app.pay(VISA, 10_000, &[]).await;
    assert_eq!(s, StatusCode::OK, "{pi}");
    let pi_id = pi["id"].as_str().unwrap();
    let form = [("payment_intent", pi_id), ("amount", "1000")];
    let (s, re) = app.post("/v1/refunds", &form).await;
    assert_eq!(
        (s, re["status"].as_str()),
        (StatusCode::OK, Some("succeeded")),
        "{re}"
    );
}

fn test_scope(app: &TestApp) -> Scope {
    Scope {
        merchant_id: app.merchant.clone(),
        livemode: false,
    }
}

async fn rrn_of(app: &TestApp, charge: &str) -> String {
    let (_, ch) = app.get(&format!("/v1/charges/{charge}")).await;
    ch["payment_method_details"]["card"]["network_transaction_id"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn a_mix_of_payments_reconciles_with_no_problems_and_the_right_counts() {
    let app = TestApp::spawn().await;
    let mix = mix(&app).await;
    let report = run(&app).await;
    assert!(report.problems.is_empty(), "{:#?}", report.problems);
    assert_eq!(report.charges_checked, 4, "{report:?}");
    assert_eq!(report.network_authorizations, 4, "{report:?}");
    assert_eq!(report.matched, 4, "{report:?}");
    // The books agree for the reasons the module documents, not by accident.
    let manual = app.journal_by_rrn(&rrn_of(&app, &mix.manual).await);
    assert_eq!(
        (
            manual["captured_amount"].as_i64(),
            manual["refunded_amount"].as_i64()
        ),
        (Some(15_000), Some(5_000))
    );
    let canceled = app.journal_by_rrn(&rrn_of(&app, &mix.canceled).await);
    assert_eq!(canceled["reversed"], true);
    let declined = app.journal_by_rrn(&rrn_of(&app, &mix.declined).await);
    assert_eq!(declined["response_code"], "05");
    let automatic = app.journal_by_rrn(&rrn_of(&app, &mix.automatic).await);
    assert_eq!(
        (
            automatic["mti"].as_str(),
            automatic["captured_amount"].as_i64()
        ),
        (Some("0200"), Some(10_000))
    );
}

#[tokio::test]
async fn an_authorization_the_gateway_never_recorded_is_an_orphan_at_the_network() {
    let app = TestApp::spawn().await;
    mix(&app).await;
    assert!(run(&app).await.problems.is_empty());

    // Another acquirer process (its own terminal id) takes a hold the gateway knows nothing of.
    let sim_addr = app.sim.local_addr();
    let rogue = Link::connect(LinkConfig::new(sim_addr.to_string(), "ROGUE001", "123456"))
        .await
        .expect("link");
    let prepared = rogue
        .prepare_auth(&AuthRequest {
            kind: AuthKind::Authorization,
            pan: VISA,
            expiry_yymm: "3412",
            cvc: None,
            amount_minor: 4_321,
            currency_numeric: 410,
            merchant_id: "ROGUE SHOP",
            pos_entry_mode: "812",
            authentication: None,
            track2: None,
            icc: None,
            stored_credential: None,
            installments: None,
        })
        .expect("prepare");
    let stan = prepared.net_ref.stan.clone();
    let outcome = rogue.send_auth(prepared).await.expect("answer");
    assert!(outcome.approved(), "{outcome:?}");
    let rrn = outcome.rrn.expect("rrn");

    let report = run(&app).await;
    assert_eq!(report.network_authorizations, 5);
    assert_eq!(report.matched, 4);
    assert_eq!(report.problems.len(), 1, "{:#?}", report.problems);
    let p = &report.problems[0];
    assert_eq!(p.kind, kind::ORPHAN_AT_NETWORK);
    assert_eq!(p.missing_on, Some(Side::Gateway));
    assert_eq!(p.rrn.as_deref(), Some(rrn.as_str()));
    assert_eq!(p.stan.as_deref(), Some(stan.as_str()));
    assert_eq!(p.amount, Some(4_321));
    assert_eq!(p.charge, None);
    for part in ["ROGUE001", stan.as_str(), "4321"] {
        assert!(p.detail.contains(part), "{part} missing from {}", p.detail);
    }
}

#[tokio::test]
async fn a_tampered_captured_amount_is_a_captured_mismatch_naming_the_charge() {
    let app = TestApp::spawn().await;
    let mix = mix(&app).await;
    assert!(run(&app).await.problems.is_empty());

    // The books say 9,000 was captured where the network captured 10,000.
    let store = &app.server.state.store;
    let row = store
        .get_object(&test_scope(&app), &mix.automatic)
        .await
        .unwrap()
        .expect("charge");
    let mut data = row.data.clone();
    data["amount_captured"] = 9_000.into();
    let unit = WriteUnit::new(vec![Op::UpdateObject {
        id: row.id.clone(),
        expected_version: row.version,
        data,
        tag: row.tag.clone(),
        due: row.due,
    }]);
    store.commit(unit).await.expect("tamper");

    let report = run(&app).await;
    assert_eq!(report.matched, 4);
    assert_eq!(report.problems.len(), 1, "{:#?}", report.problems);
    let p = &report.problems[0];
    assert_eq!(p.kind, kind::CAPTURED_MISMATCH);
    assert_eq!(p.missing_on, None, "both sides have it");
    assert_eq!(p.charge.as_deref(), Some(mix.automatic.as_str()));
    assert_eq!(
        p.rrn.as_deref(),
        Some(rrn_of(&app, &mix.automatic).await.as_str())
    );
    assert!(
        p.detail.contains("9000") && p.detail.contains("10000"),
        "{}",
        p.detail
    );
}

/// The books of a 5-minute chaos run took 20 minutes to reconcile: each charge's refunds were
/// one query, which on SQLite walked every refund of the merchant. The refunds are now read
/// once per merchant and mode, so more charges (within a page) cost no more reads.
#[tokio::test]
async fn a_reconciliation_reads_the_refunds_once_not_once_per_charge() {
    let app = TestApp::spawn().await;
    refunded_payment(&app).await;
    let (report, reads_of_one) = counted_run(&app).await;
    assert_eq!(
        (report.matched, report.problems.len()),
        (1, 0),
        "{report:?}"
    );
    for _ in 0..5 {
        refunded_payment(&app).await;
    }
    let (report, reads_of_six) = counted_run(&app).await;
    assert_eq!(
        (report.matched, report.problems.len()),
        (6, 0),
        "{report:?}"
    );
    assert_eq!(
        reads_of_six,
        reads_of_one,
        "5 more refunded charges cost {} more reads",
        reads_of_six.saturating_sub(reads_of_one)
    );
}
