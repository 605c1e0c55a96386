//! The event feed (`Store::event_feed`, read by `GET /v1/events/stream`): oldest first after
//! a cursor event, in commit order. An event written by a transaction still open holds back
//! the events committed after it began, so a reader that resumes after the last event it got
//! never skips one that commits late (on PostgreSQL two transactions commit in any order;
//! SQLite has one writer).

use paygate_store::{EventRow, ListFilter, ListQuery, Op, Scope, Store, StoreError};
use serde_json::json;

use crate::harness::{OpenTx, TestDb, both_backends, merchants, scope, unit};

both_backends!(
    an_open_transaction_holds_back_the_events_committed_after_it,
    the_feed_filters_by_type_and_refuses_a_cursor_of_another_merchant,
);

const MERCHANT: &str = "acct_feed";

fn event(id: &str, event_type: &str) -> Op {
    Op::InsertEvent(EventRow {
        id: id.into(),
        merchant_id: MERCHANT.into(),
        livemode: false,
        event_type: event_type.into(),
        created: 1_000,
        data: json!({ "id": id, "object": "event", "type": event_type }),
    })
}

/// Writes an event row in `tx` as the store would (its record number is taken now).
async fn write_event_in(tx: &OpenTx, id: &str) {
    tx.exec(&format!(
        "INSERT INTO objects (id, merchant_id, livemode, kind, tag, created, version, data) \
         VALUES ('{id}', '{MERCHANT}', FALSE, 'event', 'customer.created', 1000, 1, \
         '{{\"id\": \"{id}\", \"object\": \"event\", \"type\": \"customer.created\"}}')"
    ))
    .await;
}

async fn feed_now(s: &Store, me: &Scope, after: Option<&str>) -> Vec<String> {
    let rows = s.event_feed(me, after, &[], 100).await.unwrap();
    rows.into_iter().map(|r| r.id).collect()
}

/// How many times [`feed`] reads before it gives up, [`RETRY_MS`] apart.
const READS: usize = 3_000;
const RETRY_MS: u64 = 10;

/// The feed once it holds as many events as `expected` (then compared with it). On
/// PostgreSQL any transaction of the server (another test's) that began before an event
/// committed holds it back until it ends, so a read may briefly return fewer.
async fn feed<const N: usize>(
    s: &Store,
    me: &Scope,
    after: Option<&str>,
    expected: [&str; N],
) -> Vec<String> {
    for _ in 0..READS {
        let got = feed_now(s, me, after).await;
        if got.len() >= N {
            assert_eq!(got, expected);
            return got;
        }
        tokio::time::sleep(std::time::Duration::from_millis(RETRY_MS)).await;
    }
    let got = feed_now(s, me, after).await;
    assert_eq!(got, expected);
    got
}

/// The last event in feed order once the feed has `n` events.
async fn end_after<const N: usize>(s: &Store, me: &Scope, settled: [&str; N]) -> Option<String> {
    feed(s, me, None, settled).await;
    s.event_feed_end(me).await.unwrap()
}

async fn an_open_transaction_holds_back_the_events_committed_after_it(db: &TestDb) {
    let s = &db.store;
    merchants(s, &[MERCHANT]).await;
    let me = scope(MERCHANT, false);
    s.commit(unit(vec![event("evt_0", "customer.created")]))
        .await
        .unwrap();
    assert_eq!(end_after(s, &me, ["evt_0"]).await.as_deref(), Some("evt_0"));

    // evt_1 takes its record number in a transaction that stays open.
    let tx = db.begin_raw().await;
    write_event_in(&tx, "evt_1").await;
    if db.is_postgres() {
        // evt_2 commits meanwhile, with the higher record number: readable, not in the feed.
        s.commit(unit(vec![event("evt_2", "customer.updated")]))
            .await
            .unwrap();
        assert!(s.get_object(&me, "evt_2").await.unwrap().is_some());
        assert!(feed_now(s, &me, Some("evt_0")).await.is_empty());
        assert_eq!(
            s.event_feed_end(&me).await.unwrap().as_deref(),
            Some("evt_0")
        );
        tx.end(true).await;
    } else {
        // One writer: evt_2 cannot commit before evt_1's transaction ends.
        assert!(feed_now(s, &me, Some("evt_0")).await.is_empty());
        tx.end(true).await;
        s.commit(unit(vec![event("evt_2", "customer.updated")]))
            .await
            .unwrap();
    }
    feed(s, &me, Some("evt_0"), ["evt_1", "evt_2"]).await;
    let all = ["evt_0", "evt_1", "evt_2"];
    assert_eq!(end_after(s, &me, all).await.as_deref(), Some("evt_2"));

    // A transaction that rolls back releases what it held back.
    let tx = db.begin_raw().await;
    write_event_in(&tx, "evt_3").await;
    if db.is_postgres() {
        s.commit(unit(vec![event("evt_4", "customer.updated")]))
            .await
            .unwrap();
        assert!(feed_now(s, &me, Some("evt_2")).await.is_empty());
        tx.end(false).await;
    } else {
        tx.end(false).await;
        s.commit(unit(vec![event("evt_4", "customer.updated")]))
            .await
            .unwrap();
    }
    feed(s, &me, Some("evt_2"), ["evt_4"]).await;
    assert!(feed_now(s, &me, Some("evt_4")).await.is_empty());
}

async fn the_feed_filters_by_type_and_refuses_a_cursor_of_another_merchant(db: &TestDb) {
    let s = &db.store;
    merchants(s, &[MERCHANT, "acct_other"]).await;
    let me = scope(MERCHANT, false);
    let ops = vec![
        event("evt_a", "customer.created"),
        event("evt_b", "charge.succeeded"),
        event("evt_c", "customer.created"),
    ];
    s.commit(unit(ops)).await.unwrap();
    feed(s, &me, None, ["evt_a", "evt_b", "evt_c"]).await;
    let created = [ListFilter::TagIn(vec!["customer.created".into()])];
    let rows = s.event_feed(&me, None, &created, 100).await.unwrap();
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["evt_a", "evt_c"]);
    // The cursor need not pass the filter; the limit counts from it.
    let rows = s
        .event_feed(&me, Some("evt_b"), &created, 100)
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].id, "evt_c");
    assert_eq!(s.event_feed(&me, None, &[], 2).await.unwrap().len(), 2);
    // Another merchant sees none of them, and cannot use one as its cursor.
    let theirs = scope("acct_other", false);
    assert!(feed_now(s, &theirs, None).await.is_empty());
    assert_eq!(s.event_feed_end(&theirs).await.unwrap(), None);
    match s.event_feed(&theirs, Some("evt_a"), &[], 10).await {
        Err(StoreError::InvalidCursor(param)) => assert_eq!(param, "starting_after"),
        other => panic!("expected an invalid cursor, got {other:?}"),
    }
}

/// PostgreSQL hands out transaction ids and record numbers independently: a transaction
/// with the lower id can take the higher record number and commit first. The feed returns
/// it first, and the other one after it once it commits: a reader resuming after the first
/// still gets the second (by record number it would lie behind the cursor).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_commit_order_differs_from_record_numbers() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let db = std::sync::Arc::new(db);
    let shared = std::sync::Arc::clone(&db);
    let outcome = tokio::spawn(async move { out_of_order(&shared).await }).await;
    if let Ok(db) = std::sync::Arc::try_unwrap(db) {
        db.finish().await;
    }
    if let Err(failed) = outcome {
        std::panic::resume_unwind(failed.into_panic());
    }
}

async fn out_of_order(db: &TestDb) {
    let s = &db.store;
    merchants(s, &[MERCHANT]).await;
    let me = scope(MERCHANT, false);
    let first = db.begin_raw().await;
    first.exec("SELECT pg_current_xact_id()").await;
    let second = db.begin_raw().await;
    write_event_in(&second, "evt_low_number").await;
    write_event_in(&first, "evt_high_number").await;
    first.end(true).await;
    feed(s, &me, None, ["evt_high_number"]).await;
    second.end(true).await;
    feed(s, &me, Some("evt_high_number"), ["evt_low_number"]).await;
    feed(s, &me, None, ["evt_high_number", "evt_low_number"]).await;
    // By record number evt_low_number lies behind evt_high_number: a reader of the events
    // newer than its cursor (what the stream did before) never gets it.
    let mut newer = ListQuery::new("event", 10);
    newer.ending_before = Some("evt_high_number".into());
    assert!(s.list_objects(&me, &newer).await.unwrap().data.is_empty());
}
