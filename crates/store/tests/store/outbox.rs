use std::collections::HashSet;

use paygate_store::{
    AttemptLogRow, CommitError, ConflictKind, EventRow, ListFilter, ListQuery, ObjectRow, Op,
    Store, StoreError,
};
use serde_json::json;

use crate::harness::{TestDb, both_backends, merchants, scope, unit};

both_backends!(
    events_fan_out_to_subscribed_endpoints_and_deliveries_run_to_a_result,
    concurrent_claimers_in_two_processes_never_share_a_delivery,
    schedules_and_leases_from_a_clock_ahead_do_not_hold_deliveries_back,
);

const NOW: i64 = 1_000;

fn endpoint(id: &str, merchant: &str, events: &[&str], status: &str) -> Op {
    Op::InsertObject(ObjectRow {
        id: id.into(),
        merchant_id: merchant.into(),
        livemode: false,
        kind: "webhook_endpoint".into(),
        parent: None,
        tag: None,
        due: None,
        created: 1,
        version: 1,
        data: json!({ "id": id, "url": format!("http://127.0.0.1:9/{id}"), "secret": "whsec_x", "enabled_events": events, "status": status }),
    })
}

fn event(id: &str, merchant: &str, event_type: &str) -> Op {
    Op::InsertEvent(EventRow {
        id: id.into(),
        merchant_id: merchant.into(),
        livemode: false,
        event_type: event_type.into(),
        created: NOW,
        data: json!({ "id": id, "object": "event", "type": event_type }),
    })
}

fn result(
    delivery_id: &str,
    event_id: &str,
    endpoint_id: &str,
    attempt_no: i64,
    status: Option<u16>,
) -> AttemptLogRow {
    AttemptLogRow {
        delivery_id: delivery_id.into(),
        event_id: event_id.into(),
        endpoint_id: endpoint_id.into(),
        attempt_no,
        at: NOW + attempt_no,
        status_code: status,
        error: status.is_none().then(|| "connection refused".to_owned()),
        duration_ms: 12,
    }
}

/// Ids of acct_1's events whose deliveries all succeeded (`ok`), or not (`!ok`): the
/// `delivery_success` filter of `GET /v1/events` (served by the `deliveries_by_event` index).
async fn by_delivery_success(s: &Store, ok: bool) -> Vec<String> {
    let q = ListQuery {
        filters: vec![ListFilter::DeliverySuccess(ok)],
        ..ListQuery::new("event", 10)
    };
    let page = s.list_objects(&scope("acct_1", false), &q).await.unwrap();
    let mut ids: Vec<String> = page.data.into_iter().map(|o| o.id).collect();
    ids.sort();
    ids
}

async fn events_fan_out_to_subscribed_endpoints_and_deliveries_run_to_a_result(db: &TestDb) {
    let s = &db.store;
    merchants(s, &["acct_1", "acct_2"]).await;
    s.commit(unit(vec![
        endpoint("we_all", "acct_1", &["*"], "enabled"),
        endpoint("we_charge", "acct_1", &["charge.succeeded"], "enabled"),
        endpoint("we_off", "acct_1", &["*"], "disabled"),
        endpoint("we_other", "acct_2", &["*"], "enabled"),
    ]))
    .await
    .unwrap();
    s.commit(unit(vec![
        event("evt_1", "acct_1", "charge.succeeded"),
        event("evt_2", "acct_1", "payment_intent.created"),
    ]))
    .await
    .unwrap();
    // The event is an object of kind "event" tagged with its type.
    let stored = s
        .get_object(&scope("acct_1", false), "evt_1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (stored.kind.as_str(), stored.tag.as_deref()),
        ("event", Some("charge.succeeded"))
    );

    assert_eq!(s.dispatch_events(100, NOW).await.unwrap(), 2);
    assert_eq!(
        s.dispatch_events(100, NOW).await.unwrap(),
        0,
        "pending rows were removed"
    );
    assert!(
        s.claim_deliveries("w1", NOW - 1, 30, 10)
            .await
            .unwrap()
            .is_empty(),
        "not due yet"
    );
    assert_eq!(by_delivery_success(s, false).await, ["evt_1", "evt_2"]);
    assert!(by_delivery_success(s, true).await.is_empty());

    let jobs = s.claim_deliveries("w1", NOW, 30, 10).await.unwrap();
    let mut pairs: Vec<(String, String)> = jobs
        .iter()
        .map(|j| (j.event_id.clone(), j.endpoint_id.clone()))
        .collect();
    pairs.sort();
    let expected = [
        ("evt_1", "we_all"),
        ("evt_1", "we_charge"),
        ("evt_2", "we_all"),
    ];
    assert_eq!(pairs, expected.map(|(a, b)| (a.to_owned(), b.to_owned())));
    let job = jobs
        .iter()
        .find(|j| j.event_id == "evt_1" && j.endpoint_id == "we_all")
        .unwrap()
        .clone();
    assert_eq!(
        (
            job.attempt_no,
            job.first_attempt_at,
            job.merchant_id.as_str(),
            job.livemode
        ),
        (1, NOW, "acct_1", false)
    );
    assert_eq!(job.event["type"], "charge.succeeded");
    assert_eq!(job.endpoint["secret"], "whsec_x");
    assert!(
        s.claim_deliveries("w2", NOW + 5, 30, 10)
            .await
            .unwrap()
            .is_empty(),
        "leased to w1"
    );

    // evt_1 -> we_all fails once, then succeeds; the others succeed at once.
    let retry = Op::DeliveryResult {
        delivery_id: job.delivery_id.clone(),
        attempt: result(&job.delivery_id, "evt_1", "we_all", 1, None),
        next_attempt_at: Some(NOW + 60),
        state: "pending".into(),
    };
    let mut ops = vec![retry];
    for other in jobs.iter().filter(|j| j.delivery_id != job.delivery_id) {
        ops.push(Op::DeliveryResult {
            delivery_id: other.delivery_id.clone(),
            attempt: result(
                &other.delivery_id,
                &other.event_id,
                &other.endpoint_id,
                1,
                Some(200),
            ),
            next_attempt_at: None,
            state: "succeeded".into(),
        });
    }
    s.commit(unit(ops)).await.unwrap();
    // evt_1 still has a delivery to retry; evt_2's only delivery succeeded.
    assert_eq!(by_delivery_success(s, false).await, ["evt_1"]);
    assert_eq!(by_delivery_success(s, true).await, ["evt_2"]);
    assert!(
        s.claim_deliveries("w2", NOW + 59, 30, 10)
            .await
            .unwrap()
            .is_empty(),
        "retry not due, finished ones never"
    );
    let again = s.claim_deliveries("w2", NOW + 60, 30, 10).await.unwrap();
    assert_eq!(
        (
            again.len(),
            again[0].delivery_id.as_str(),
            again[0].attempt_no
        ),
        (1, job.delivery_id.as_str(), 2)
    );
    let done = Op::DeliveryResult {
        delivery_id: job.delivery_id.clone(),
        attempt: result(&job.delivery_id, "evt_1", "we_all", 2, Some(204)),
        next_attempt_at: None,
        state: "succeeded".into(),
    };
    s.commit(unit(vec![done])).await.unwrap();
    assert!(by_delivery_success(s, false).await.is_empty());
    assert_eq!(by_delivery_success(s, true).await, ["evt_1", "evt_2"]);
    assert!(
        s.claim_deliveries("w2", NOW + 10_000, 30, 10)
            .await
            .unwrap()
            .is_empty()
    );

    let me = scope("acct_1", false);
    let log = s
        .list_delivery_attempts(&me, Some("evt_1"), Some("we_all"), 10)
        .await
        .unwrap();
    assert_eq!(
        log.iter()
            .map(|a| (a.attempt_no, a.status_code))
            .collect::<Vec<_>>(),
        [(2, Some(204)), (1, None)]
    );
    assert_eq!(log[1].error.as_deref(), Some("connection refused"));
    assert_eq!(
        s.list_delivery_attempts(&me, None, None, 100)
            .await
            .unwrap()
            .len(),
        4
    );
    assert_eq!(
        s.list_delivery_attempts(&me, None, Some("we_charge"), 100)
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(
        s.list_delivery_attempts(&scope("acct_2", false), None, None, 100)
            .await
            .unwrap()
            .is_empty()
    );

    // Manual resend queues a new delivery; only for the merchant's own event and endpoint.
    let resend = |endpoint_id: &str, merchant_id: &str| Op::EnqueueDelivery {
        event_id: "evt_2".into(),
        endpoint_id: endpoint_id.into(),
        merchant_id: merchant_id.into(),
        livemode: false,
        next_attempt_at: NOW + 100,
    };
    s.commit(unit(vec![resend("we_charge", "acct_1")]))
        .await
        .unwrap();
    let resent = s.claim_deliveries("w3", NOW + 100, 30, 10).await.unwrap();
    assert_eq!(
        (
            resent.len(),
            resent[0].endpoint_id.as_str(),
            resent[0].attempt_no
        ),
        (1, "we_charge", 1)
    );
    for (endpoint_id, merchant_id) in [
        ("we_other", "acct_1"),
        ("we_other", "acct_2"),
        ("we_nope", "acct_1"),
    ] {
        let refused = s.commit(unit(vec![resend(endpoint_id, merchant_id)])).await;
        assert!(
            matches!(
                refused,
                Err(CommitError::Conflict {
                    what: ConflictKind::NotFound,
                    ..
                })
            ),
            "{endpoint_id}/{merchant_id}"
        );
    }
    let unknown = Op::DeliveryResult {
        delivery_id: "whdel_nope".into(),
        attempt: result("whdel_nope", "evt_1", "we_all", 1, Some(200)),
        next_attempt_at: None,
        state: "succeeded".into(),
    };
    assert!(matches!(
        s.commit(unit(vec![unknown])).await,
        Err(CommitError::Conflict {
            what: ConflictKind::NotFound,
            ..
        })
    ));
    let bad_state = Op::DeliveryResult {
        delivery_id: job.delivery_id.clone(),
        attempt: result(&job.delivery_id, "evt_1", "we_all", 3, Some(200)),
        next_attempt_at: None,
        state: "done".into(),
    };
    assert!(matches!(
        s.commit(unit(vec![bad_state])).await,
        Err(CommitError::Store(StoreError::InvalidUnit(_)))
    ));
}

const DELIVERIES: usize = 60;
const CLAIM_BATCH: usize = 4;
const CLAIM_ROUNDS_MAX: usize = 200;

/// Claims until nothing is left; every claimed id is returned.
async fn drain(store: Store, worker: String) -> Vec<String> {
    let mut claimed = Vec::new();
    for _ in 0..CLAIM_ROUNDS_MAX {
        let jobs = store
            .claim_deliveries(&worker, NOW, 600, CLAIM_BATCH)
            .await
            .unwrap();
        if jobs.is_empty() {
            break;
        }
        claimed.extend(jobs.into_iter().map(|j| j.delivery_id));
    }
    claimed
}

async fn concurrent_claimers_in_two_processes_never_share_a_delivery(db: &TestDb) {
    let s = &db.store;
    merchants(s, &["acct_1"]).await;
    s.commit(unit(vec![
        endpoint("we_a", "acct_1", &["*"], "enabled"),
        endpoint("we_b", "acct_1", &["*"], "enabled"),
    ]))
    .await
    .unwrap();
    let events = (0..DELIVERIES / 2)
        .map(|i| event(&format!("evt_{i}"), "acct_1", "charge.succeeded"))
        .collect();
    s.commit(unit(events)).await.unwrap();
    // Two stores on one database, as two gateway processes would be.
    let other = db.open_again().await;
    let (a, b) = tokio::join!(
        s.dispatch_events(DELIVERIES, NOW),
        other.dispatch_events(DELIVERIES, NOW)
    );
    assert_eq!(
        a.unwrap() + b.unwrap(),
        DELIVERIES / 2,
        "each event fanned out once"
    );

    let workers = [
        (s.clone(), "p1_w1"),
        (s.clone(), "p1_w2"),
        (other.clone(), "p2_w1"),
        (other.clone(), "p2_w2"),
    ];
    let tasks: Vec<_> = workers
        .into_iter()
        .map(|(store, name)| tokio::spawn(drain(store, name.to_owned())))
        .collect();
    let mut seen = HashSet::new();
    for task in tasks {
        for id in task.await.unwrap() {
            assert!(seen.insert(id.clone()), "delivery {id} was claimed twice");
        }
    }
    assert_eq!(seen.len(), DELIVERIES);
    other.close().await;
}

/// How far ahead the clock of the process that wrote the schedules and leases runs.
const AHEAD: i64 = 600;

/// A delivery's id after one claim, at `at`, that must take exactly it.
async fn claim_one(s: &Store, worker: &str, at: i64, why: &str) -> String {
    let jobs = s.claim_deliveries(worker, at, 60, 10).await.unwrap();
    assert_eq!(jobs.len(), 1, "{why}: {jobs:?}");
    jobs[0].delivery_id.clone()
}

/// A process whose clock runs `AHEAD` fans out, leases and reschedules; a process on the right
/// clock (`NOW`) still finds each delivery due and each such lease expired — while
/// schedules within the backoff's reach still wait (see `delivery_schedule`).
async fn schedules_and_leases_from_a_clock_ahead_do_not_hold_deliveries_back(db: &TestDb) {
    let s = &db.store;
    merchants(s, &["acct_1"]).await;
    s.commit(unit(vec![endpoint("we_all", "acct_1", &["*"], "enabled")]))
        .await
        .unwrap();
    s.commit(unit(vec![event("evt_1", "acct_1", "charge.succeeded")]))
        .await
        .unwrap();
    assert_eq!(s.dispatch_events(10, NOW + 20).await.unwrap(), 1);
    let within_reach = s.claim_deliveries("right", NOW, 60, 10).await.unwrap();
    assert!(
        within_reach.is_empty(),
        "20 s ahead is within a fresh delivery's 30 s"
    );
    assert!(
        s.due_delivery_endpoints(NOW, 60, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let first = claim_one(s, "right", NOW + 20, "due 20 s later").await;
    let done = Op::DeliveryResult {
        delivery_id: first.clone(),
        attempt: result(&first, "evt_1", "we_all", 1, Some(200)),
        next_attempt_at: None,
        state: "succeeded".into(),
    };
    s.commit(unit(vec![done])).await.unwrap();

    s.commit(unit(vec![event("evt_2", "acct_1", "charge.succeeded")]))
        .await
        .unwrap();
    s.dispatch_events(10, NOW + AHEAD).await.unwrap();
    assert_eq!(
        s.due_delivery_endpoints(NOW, 60, 10).await.unwrap(),
        ["we_all"]
    );
    let ahead = claim_one(s, "ahead", NOW + AHEAD, "due on the clock ahead").await;
    let taken = claim_one(
        s,
        "right",
        NOW,
        "a lease ending 660 s from now is not one taken now",
    )
    .await;
    assert_eq!(taken, ahead);
    assert!(
        s.claim_deliveries("other", NOW + 1, 60, 10)
            .await
            .unwrap()
            .is_empty(),
        "the lease taken on the right clock holds"
    );

    // The clock ahead records a failed first attempt: a retry 60 s after its own time.
    let retry = Op::DeliveryResult {
        delivery_id: ahead.clone(),
        attempt: result(&ahead, "evt_2", "we_all", 1, None),
        next_attempt_at: Some(NOW + AHEAD + 60),
        state: "pending".into(),
    };
    s.commit(unit(vec![retry])).await.unwrap();
    let again = claim_one(s, "right", NOW, "a retry 660 s ahead after one attempt").await;
    assert_eq!(again, ahead);

    // A retry within its backoff (60 s after one attempt) waits on every clock.
    let within = Op::DeliveryResult {
        delivery_id: ahead.clone(),
        attempt: result(&ahead, "evt_2", "we_all", 1, None),
        next_attempt_at: Some(NOW + 60),
        state: "pending".into(),
    };
    s.commit(unit(vec![within])).await.unwrap();
    assert!(
        s.claim_deliveries("right", NOW, 60, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(claim_one(s, "right", NOW + 60, "due").await, ahead);
}
