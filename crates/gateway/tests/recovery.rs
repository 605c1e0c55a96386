//! Recovery of follow-ups (capture, refund) whose answer was lost with the process: the state
//! phase 1 leaves behind is recreated by hand, the network really processed the message, and
//! `recovery::recover` must record exactly what the network did — once.

mod support;

use paygate_connector_card::FollowUpRecord;
use paygate_gateway::models::{Charge, from_value, to_value};
use paygate_network::link::FollowUpKind;
use paygate_store::{AttemptRow, Op, Scope, WriteUnit};
use serde_json::json;
use support::{TestApp, VISA};

async fn charge(app: &TestApp, id: &str) -> (i64, Charge) {
    let scope = Scope {
        merchant_id: app.merchant.clone(),
        livemode: false,
    };
    let row = app
        .server
        .state
        .store
        .get_object(&scope, id)
        .await
        .unwrap()
        .unwrap();
    (row.version, from_value(row.data).unwrap())
}

#[tokio::test]
async fn a_refund_sent_before_a_crash_is_recorded_once_from_the_networks_answer() {
    let app = TestApp::spawn().await;
    let (_, pi) = app.pay(VISA, 9_000, &[]).await;
    let ch_id = pi["latest_charge"].as_str().unwrap().to_string();
    let (version, mut ch) = charge(&app, &ch_id).await;
    let net = ch.net.clone().unwrap();
    let orig: paygate_network::link::NetRef =
        serde_json::from_value(net.net_ref.0.clone()).unwrap();
    let st = &app.server.state;
    // Phase 1 as the refund flow writes it, then the message goes out, then "the process dies".
    let prepared = st
        .link
        .prepare_refund(&orig, &net.rrn, 4_000, net.currency_numeric)
        .unwrap();
    let record = FollowUpRecord {
        kind: FollowUpKind::Refund,
        own: prepared.net_ref.clone(),
        orig: orig.clone(),
        rrn: net.rrn.clone(),
        amount: 4_000,
        currency_numeric: net.currency_numeric,
    };
    ch.refund_reserved += 4_000;
    let unit = WriteUnit {
        ops: vec![
            Op::UpdateObject {
                id: ch_id.clone(),
                expected_version: version,
                data: to_value(&ch),
                tag: None,
                due: None,
            },
            Op::PutAttempt(AttemptRow {
                id: "re_lost:refund".into(),
                merchant_id: app.merchant.clone(),
                livemode: false,
                owner_node: st.cfg.node_id.clone(),
                state: "refunding".into(),
                created: 0,
                data: json!({"kind": "refund", "charge": ch_id, "refund": "re_lost", "follow_up": record, "metadata": {}}),
            }),
        ],
    };
    st.store.commit(unit).await.unwrap();
    let answer = st.link.send_follow_up(prepared).await.unwrap();
    assert_eq!(answer.response_code, "00");

    let recovered = paygate_gateway::engine::recovery::recover(st, None)
        .await
        .unwrap();
    assert_eq!(recovered, 1);
    let metrics = app.metrics_text().await;
    assert!(
        metrics.contains("\npaygate_recovery_actions_total{action=\"resend_refund\"} 1\n"),
        "the recovery action is counted by kind:\n{metrics}"
    );
    let (_, ch) = charge(&app, &ch_id).await;
    assert_eq!(ch.amount_refunded, 4_000);
    assert_eq!(ch.refund_reserved, 0);
    let (_, refund) = app.get("/v1/refunds/re_lost").await;
    assert_eq!(refund["status"], "succeeded");
    let j = app.journal_by_rrn(&net.rrn);
    assert_eq!(j["refunded_amount"], 4_000, "counted once at the network");
    assert!(app.ledger_problems().await.is_empty());
    assert!(st.store.attempts(None).await.unwrap().is_empty());
    // Nothing left to do on a second run.
    assert_eq!(
        paygate_gateway::engine::recovery::recover(st, None)
            .await
            .unwrap(),
        0
    );
}

#[tokio::test]
async fn a_capture_never_sent_before_a_crash_is_sent_by_recovery_and_recorded() {
    let app = TestApp::spawn().await;
    let (_, pi) = app.pay(VISA, 8_000, &[("capture_method", "manual")]).await;
    let pi_id = pi["id"].as_str().unwrap().to_string();
    let ch_id = pi["latest_charge"].as_str().unwrap().to_string();
    let (_, ch) = charge(&app, &ch_id).await;
    let net = ch.net.clone().unwrap();
    let orig: paygate_network::link::NetRef =
        serde_json::from_value(net.net_ref.0.clone()).unwrap();
    let st = &app.server.state;
    let prepared = st
        .link
        .prepare_capture(&orig, &net.rrn, 5_000, net.currency_numeric)
        .unwrap();
    let record = FollowUpRecord {
        kind: FollowUpKind::Capture,
        own: prepared.net_ref.clone(),
        orig: orig.clone(),
        rrn: net.rrn.clone(),
        amount: 5_000,
        currency_numeric: net.currency_numeric,
    };
    drop(prepared); // died before sending
    let scope = Scope {
        merchant_id: app.merchant.clone(),
        livemode: false,
    };
    let row = st.store.get_object(&scope, &pi_id).await.unwrap().unwrap();
    let mut doc = row.data.clone();
    doc["status"] = json!("processing");
    let unit = WriteUnit {
        ops: vec![
            Op::UpdateObject {
                id: pi_id.clone(),
                expected_version: row.version,
                data: doc,
                tag: None,
                due: None,
            },
            Op::PutAttempt(AttemptRow {
                id: format!("{pi_id}:capture"),
                merchant_id: app.merchant.clone(),
                livemode: false,
                owner_node: st.cfg.node_id.clone(),
                state: "capturing".into(),
                created: 0,
                data: json!({"kind": "capture", "payment_intent": pi_id, "charge": ch_id, "follow_up": record}),
            }),
        ],
    };
    st.store.commit(unit).await.unwrap();
    assert_eq!(
        paygate_gateway::engine::recovery::recover(st, None)
            .await
            .unwrap(),
        1
    );
    let (_, pi) = app.get(&format!("/v1/payment_intents/{pi_id}")).await;
    assert_eq!(pi["status"], "succeeded");
    assert_eq!(pi["amount_received"], 5_000);
    assert_eq!(app.journal_by_rrn(&net.rrn)["captured_amount"], 5_000);
    // 2.9 % of 5,000 = 145.
    assert_eq!(app.balance().await, (0, 4_855));
    assert!(app.ledger_problems().await.is_empty());
}

/// A recovery record of a kind this build does not know stays where it is (it may stand for
/// money that moved at the network) and is counted for the operator; it is never deleted.
#[tokio::test]
async fn a_recovery_record_of_an_unknown_kind_is_kept_and_counted_not_deleted() {
    let app = TestApp::spawn().await;
    let st = &app.server.state;
    let unit = WriteUnit {
        ops: vec![Op::PutAttempt(AttemptRow {
            id: "pi_future:1".into(),
            merchant_id: app.merchant.clone(),
            livemode: false,
            owner_node: st.cfg.node_id.clone(),
            state: "depositing".into(),
            created: 0,
            data: json!({"kind": "virtual_account_deposit", "payment_intent": "pi_future"}),
        })],
    };
    st.store.commit(unit).await.unwrap();
    for sweep in [None, Some(i64::MAX)] {
        assert_eq!(
            paygate_gateway::engine::recovery::recover(st, sweep)
                .await
                .unwrap(),
            0
        );
        let left = st.store.attempts(None).await.unwrap();
        assert_eq!(left.len(), 1, "kept after {sweep:?}");
        assert_eq!(left[0].data["kind"], "virtual_account_deposit");
    }
    let metrics = st.metrics.render();
    assert!(
        metrics.contains("\npaygate_unrecoverable_attempts 1\n"),
        "{metrics}"
    );
}

/// A recovery record naming a counterparty this build has no connector for (a method added by
/// a later release, then rolled back) is never sent to another counterparty's connector: it
/// stays where it is, counted for the operator, and the payment it names is left alone.
#[tokio::test]
async fn a_recovery_record_naming_an_unregistered_processor_is_kept_and_counted() {
    let app = TestApp::spawn().await;
    let (_, pi) = app.pay(VISA, 7_000, &[("capture_method", "manual")]).await;
    assert_eq!(pi["status"], "requires_capture");
    let pi_id = pi["id"].as_str().unwrap().to_string();
    let ch_id = pi["latest_charge"].as_str().unwrap().to_string();
    let (_, ch) = charge(&app, &ch_id).await;
    let net = ch.net.clone().unwrap();
    let st = &app.server.state;
    let unit = WriteUnit {
        ops: vec![Op::PutAttempt(AttemptRow {
            id: format!("{pi_id}:cancel"),
            merchant_id: app.merchant.clone(),
            livemode: false,
            owner_node: st.cfg.node_id.clone(),
            state: "reversing".into(),
            created: 0,
            data: json!({"kind": "cancel", "payment_intent": pi_id, "net_ref": net.net_ref,
                         "amount": 7_000, "currency_numeric": net.currency_numeric,
                         "processor": "kakao_pay"}),
        })],
    };
    st.store.commit(unit).await.unwrap();
    for sweep in [None, Some(i64::MAX)] {
        let recovered = paygate_gateway::engine::recovery::recover(st, sweep)
            .await
            .unwrap();
        assert_eq!(recovered, 0);
        let left = st.store.attempts(None).await.unwrap();
        assert_eq!(left.len(), 1, "kept after {sweep:?}");
        assert_eq!(left[0].data["processor"], "kakao_pay");
    }
    let metrics = st.metrics.render();
    assert!(
        metrics.contains("\npaygate_unrecoverable_attempts 1\n"),
        "{metrics}"
    );
    // Nothing was reversed at the card network: the intent can still be captured.
    let (status, pi) = app
        .post(&format!("/v1/payment_intents/{pi_id}/capture"), &[])
        .await;
    assert_eq!(status, 200, "{pi}");
    assert_eq!(pi["status"], "succeeded");
    assert_eq!(app.journal_by_rrn(&net.rrn)["captured_amount"], 7_000);
}

/// The request hash the HTTP layer stores for a form POST (`http::request_hash`).
fn form_hash(path: &str, params: serde_json::Value) -> String {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    h.update(format!("POST {path}\n{params}").as_bytes());
    hex::encode(h.finalize())
}

/// Found by `paygate chaos`: recovery released the key of a refund the network had made, and
/// the client's retry with that key refunded a second time.
#[tokio::test]
async fn the_retry_of_a_refund_recovered_after_a_crash_gets_that_refund_and_refunds_nothing_more() {
    let app = TestApp::spawn().await;
    let (_, pi) = app.pay(VISA, 9_000, &[]).await;
    let pi_id = pi["id"].as_str().unwrap().to_string();
    let ch_id = pi["latest_charge"].as_str().unwrap().to_string();
    let (version, mut ch) = charge(&app, &ch_id).await;
    let net = ch.net.clone().unwrap();
    let orig: paygate_network::link::NetRef =
        serde_json::from_value(net.net_ref.0.clone()).unwrap();
    let st = &app.server.state;
    let scope = Scope {
        merchant_id: app.merchant.clone(),
        livemode: false,
    };
    let prepared = st
        .link
        .prepare_refund(&orig, &net.rrn, 4_000, net.currency_numeric)
        .unwrap();
    let record = FollowUpRecord {
        kind: FollowUpKind::Refund,
        own: prepared.net_ref.clone(),
        orig,
        rrn: net.rrn.clone(),
        amount: 4_000,
        currency_numeric: net.currency_numeric,
    };
    ch.refund_reserved += 4_000;
    // Phase 1 of `POST /v1/refunds` with Idempotency-Key `refund-once`, then the message goes
    // out and the process dies.
    let form = [("payment_intent", pi_id.as_str()), ("amount", "4000")];
    let hash = form_hash(
        "/v1/refunds",
        json!({"amount": "4000", "payment_intent": pi_id}),
    );
    let unit = WriteUnit {
        ops: vec![
            Op::UpdateObject {
                id: ch_id.clone(),
                expected_version: version,
                data: to_value(&ch),
                tag: None,
                due: None,
            },
            Op::IdempotencyBegin {
                scope: scope.clone(),
                key: "refund-once".into(),
                request_hash: hash,
                owner: st.cfg.node_id.clone(),
                created: 0,
            },
            Op::PutAttempt(AttemptRow {
                id: "re_once:refund".into(),
                merchant_id: app.merchant.clone(),
                livemode: false,
                owner_node: st.cfg.node_id.clone(),
                state: "refunding".into(),
                created: 0,
                data: json!({"kind": "refund", "charge": ch_id, "refund": "re_once", "follow_up": record, "metadata": {}, "idempotency_key": "refund-once"}),
            }),
        ],
    };
    st.store.commit(unit).await.unwrap();
    assert_eq!(
        st.link
            .send_follow_up(prepared)
            .await
            .unwrap()
            .response_code,
        "00"
    );
    let recovered = paygate_gateway::engine::recovery::recover(st, None)
        .await
        .unwrap();
    assert_eq!(recovered, 1);

    let (status, again) = app.post_idem("/v1/refunds", &form, "refund-once").await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(
        again["id"], "re_once",
        "the retry gets the recovered refund: {again}"
    );
    assert_eq!(again["status"], "succeeded");
    let (_, list) = app
        .get(&format!("/v1/refunds?payment_intent={pi_id}"))
        .await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1, "{list}");
    let (_, ch) = charge(&app, &ch_id).await;
    assert_eq!(ch.amount_refunded, 4_000);
    assert_eq!(
        app.journal_by_rrn(&net.rrn)["refunded_amount"],
        4_000,
        "refunded once at the network"
    );
    assert!(app.ledger_problems().await.is_empty());
}
