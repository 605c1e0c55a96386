use paygate_store::{
    CommitError, ConflictKind, ListQuery, ObjectRow, Op, OpResult, Store, StoreError,
};
use serde_json::json;

use crate::harness::{TestDb, both_backends, merchants, scope, unit};

both_backends!(
    objects_are_inserted_read_and_updated_with_version_checks,
    objects_of_another_merchant_or_mode_are_invisible,
    pages_of_25_objects_walk_both_ways_with_cursors,
    list_filters_narrow_by_parent_tag_and_created,
    list_due_finds_tagged_work_across_merchants,
    find_object_reads_an_id_in_any_scope_with_its_owner,
);

pub fn object(id: &str, merchant: &str, livemode: bool, kind: &str, created: i64) -> ObjectRow {
    ObjectRow {
        id: id.to_owned(),
        merchant_id: merchant.to_owned(),
        livemode,
        kind: kind.to_owned(),
        parent: None,
        tag: None,
        due: None,
        created,
        version: 1,
        data: json!({ "id": id, "object": kind, "amount": 1000 }),
    }
}

fn conflict(result: Result<Vec<OpResult>, CommitError>) -> (usize, ConflictKind) {
    match result {
        Err(CommitError::Conflict { op_index, what }) => (op_index, what),
        other => panic!("expected a conflict, got {other:?}"),
    }
}

async fn objects_are_inserted_read_and_updated_with_version_checks(db: &TestDb) {
    let s = &db.store;
    merchants(s, &["acct_1"]).await;
    let me = scope("acct_1", false);
    let pi = object("pi_1", "acct_1", false, "payment_intent", 100);
    assert_eq!(
        s.commit(unit(vec![Op::InsertObject(pi.clone())]))
            .await
            .unwrap(),
        vec![OpResult::Done]
    );
    assert_eq!(s.get_object(&me, "pi_1").await.unwrap(), Some(pi.clone()));
    assert_eq!(s.get_object(&me, "pi_nope").await.unwrap(), None);

    let again = s.commit(unit(vec![Op::InsertObject(pi.clone())])).await;
    assert_eq!(conflict(again), (0, ConflictKind::ObjectExists));

    let update = |expected_version: i64, amount: i64| Op::UpdateObject {
        id: "pi_1".into(),
        expected_version,
        data: json!({ "id": "pi_1", "amount": amount }),
        tag: Some("requires_capture".into()),
        due: Some(500),
    };
    assert_eq!(
        s.commit(unit(vec![update(1, 2000)])).await.unwrap(),
        vec![OpResult::Done]
    );
    let stored = s.get_object(&me, "pi_1").await.unwrap().unwrap();
    assert_eq!(
        (stored.version, stored.data["amount"].as_i64()),
        (2, Some(2000))
    );
    assert_eq!(
        (stored.tag.as_deref(), stored.due),
        (Some("requires_capture"), Some(500))
    );

    // A writer that read version 1 lost the race and must not overwrite version 2.
    assert_eq!(
        conflict(s.commit(unit(vec![update(1, 3000)])).await),
        (0, ConflictKind::VersionMismatch)
    );
    assert_eq!(
        s.get_object(&me, "pi_1").await.unwrap().unwrap().data["amount"],
        2000
    );

    let missing = Op::UpdateObject {
        id: "pi_x".into(),
        expected_version: 1,
        data: json!({}),
        tag: None,
        due: None,
    };
    assert_eq!(
        conflict(s.commit(unit(vec![missing])).await),
        (0, ConflictKind::NotFound)
    );

    // None clears tag and due.
    let clear = Op::UpdateObject {
        id: "pi_1".into(),
        expected_version: 2,
        data: json!({}),
        tag: None,
        due: None,
    };
    s.commit(unit(vec![clear])).await.unwrap();
    let stored = s.get_object(&me, "pi_1").await.unwrap().unwrap();
    assert_eq!((stored.version, stored.tag, stored.due), (3, None, None));
}

async fn objects_of_another_merchant_or_mode_are_invisible(db: &TestDb) {
    let s = &db.store;
    merchants(s, &["acct_a", "acct_b"]).await;
    s.commit(unit(vec![Op::InsertObject(object(
        "ch_a", "acct_a", false, "charge", 1,
    ))]))
    .await
    .unwrap();
    let owner = scope("acct_a", false);
    assert!(s.get_object(&owner, "ch_a").await.unwrap().is_some());
    assert_eq!(
        s.get_object(&scope("acct_b", false), "ch_a").await.unwrap(),
        None
    );
    assert_eq!(
        s.get_object(&scope("acct_a", true), "ch_a").await.unwrap(),
        None
    );

    let q = ListQuery::new("charge", 10);
    assert_eq!(s.list_objects(&owner, &q).await.unwrap().data.len(), 1);
    assert!(
        s.list_objects(&scope("acct_b", false), &q)
            .await
            .unwrap()
            .data
            .is_empty()
    );
    assert!(
        s.list_objects(&scope("acct_a", true), &q)
            .await
            .unwrap()
            .data
            .is_empty()
    );

    // Another merchant cannot page from this merchant's object either.
    let q = ListQuery {
        starting_after: Some("ch_a".into()),
        ..ListQuery::new("charge", 10)
    };
    assert!(
        matches!(s.list_objects(&scope("acct_b", false), &q).await, Err(StoreError::InvalidCursor(p)) if p == "starting_after")
    );
}

async fn insert_numbered(s: &Store, count: usize) {
    let ops = (0..count)
        .map(|i| {
            let mut o = object(
                &format!("obj_{i:02}"),
                "acct_p",
                false,
                "charge",
                1_000 + i as i64,
            );
            o.tag = Some(if i.is_multiple_of(2) { "even" } else { "odd" }.to_owned());
            o.parent = i.is_multiple_of(5).then(|| "pi_parent".to_owned());
            Op::InsertObject(o)
        })
        .collect();
    s.commit(unit(ops)).await.unwrap();
}

fn ids(page: &paygate_store::Page) -> Vec<String> {
    page.data.iter().map(|o| o.id.clone()).collect()
}

fn numbered(range: impl Iterator<Item = usize>) -> Vec<String> {
    range.map(|i| format!("obj_{i:02}")).collect()
}

async fn pages_of_25_objects_walk_both_ways_with_cursors(db: &TestDb) {
    let s = &db.store;
    merchants(s, &["acct_p"]).await;
    insert_numbered(s, 25).await;
    let me = scope("acct_p", false);
    let page = |starting_after: Option<&str>, ending_before: Option<&str>, limit| ListQuery {
        starting_after: starting_after.map(str::to_owned),
        ending_before: ending_before.map(str::to_owned),
        ..ListQuery::new("charge", limit)
    };

    let first = s.list_objects(&me, &page(None, None, 10)).await.unwrap();
    assert_eq!(
        (ids(&first), first.has_more),
        (numbered((15..25).rev()), true)
    );
    let second = s
        .list_objects(&me, &page(Some("obj_15"), None, 10))
        .await
        .unwrap();
    assert_eq!(
        (ids(&second), second.has_more),
        (numbered((5..15).rev()), true)
    );
    let last = s
        .list_objects(&me, &page(Some("obj_05"), None, 10))
        .await
        .unwrap();
    assert_eq!((ids(&last), last.has_more), (numbered((0..5).rev()), false));

    // Backwards: newer than obj_05, still newest first within the page.
    let back = s
        .list_objects(&me, &page(None, Some("obj_05"), 10))
        .await
        .unwrap();
    assert_eq!((ids(&back), back.has_more), (numbered((6..16).rev()), true));
    let top = s
        .list_objects(&me, &page(None, Some("obj_20"), 10))
        .await
        .unwrap();
    assert_eq!((ids(&top), top.has_more), (numbered((21..25).rev()), false));

    let everything = s.list_objects(&me, &page(None, None, 100)).await.unwrap();
    assert_eq!((everything.data.len(), everything.has_more), (25, false));
    let clamped = s.list_objects(&me, &page(None, None, 1000)).await.unwrap();
    assert_eq!(clamped.data.len(), 25);

    for (after, before, param) in [
        (Some("obj_99"), None, "starting_after"),
        (None, Some("nope"), "ending_before"),
    ] {
        let err = s
            .list_objects(&me, &page(after, before, 10))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, StoreError::InvalidCursor(p) if p == param),
            "{err:?}"
        );
    }
    // A cursor must be of the listed kind.
    let wrong_kind = ListQuery {
        starting_after: Some("obj_03".into()),
        ..ListQuery::new("refund", 10)
    };
    assert!(matches!(
        s.list_objects(&me, &wrong_kind).await,
        Err(StoreError::InvalidCursor(_))
    ));
}

async fn list_filters_narrow_by_parent_tag_and_created(db: &TestDb) {
    let s = &db.store;
    merchants(s, &["acct_p"]).await;
    insert_numbered(s, 25).await;
    let me = scope("acct_p", false);
    let children = ListQuery {
        parent: Some("pi_parent".into()),
        ..ListQuery::new("charge", 100)
    };
    assert_eq!(
        ids(&s.list_objects(&me, &children).await.unwrap()),
        numbered([20, 15, 10, 5, 0].into_iter())
    );
    let odd = ListQuery {
        tag: Some("odd".into()),
        limit: 3,
        ..ListQuery::new("charge", 3)
    };
    let page = s.list_objects(&me, &odd).await.unwrap();
    assert_eq!(
        (ids(&page), page.has_more),
        (numbered([23, 21, 19].into_iter()), true)
    );
    let window = ListQuery {
        created_gte: Some(1_010),
        created_lte: Some(1_012),
        ..ListQuery::new("charge", 100)
    };
    assert_eq!(
        ids(&s.list_objects(&me, &window).await.unwrap()),
        numbered((10..13).rev())
    );
}

async fn list_due_finds_tagged_work_across_merchants(db: &TestDb) {
    let s = &db.store;
    merchants(s, &["acct_1", "acct_2"]).await;
    let mut ops = Vec::new();
    for (id, merchant, tag, due) in [
        ("ch_1", "acct_1", "settle", 300),
        ("ch_2", "acct_2", "settle", 100),
        ("ch_3", "acct_1", "settle", 900),
        ("ch_4", "acct_2", "other", 100),
    ] {
        let mut o = object(id, merchant, true, "charge", 1);
        (o.tag, o.due) = (Some(tag.into()), Some(due));
        ops.push(Op::InsertObject(o));
    }
    ops.push(Op::InsertObject(object(
        "ch_5", "acct_1", true, "charge", 1,
    )));
    s.commit(unit(ops)).await.unwrap();
    let due: Vec<String> = s
        .list_due("charge", "settle", 500, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.id)
        .collect();
    assert_eq!(due, ["ch_2", "ch_1"]);
    assert_eq!(
        s.list_due("charge", "settle", 500, 1).await.unwrap().len(),
        1
    );
    assert!(
        s.list_due("refund", "settle", 500, 10)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn find_object_reads_an_id_in_any_scope_with_its_owner(db: &TestDb) {
    let s = &db.store;
    merchants(s, &["acct_a", "acct_b"]).await;
    let live = object("pi_live", "acct_b", true, "payment_intent", 7);
    s.commit(unit(vec![
        Op::InsertObject(object("pi_a", "acct_a", false, "payment_intent", 5)),
        Op::InsertObject(live.clone()),
    ]))
    .await
    .unwrap();
    let found = s.find_object("pi_live").await.unwrap().expect("found");
    assert_eq!(found, live);
    assert_eq!(
        (found.merchant_id.as_str(), found.livemode),
        ("acct_b", true)
    );
    assert_eq!(
        s.find_object("pi_a").await.unwrap().map(|o| o.merchant_id),
        Some("acct_a".to_string())
    );
    assert_eq!(s.find_object("pi_nope").await.unwrap(), None);
}
