use paygate_store::{
    ApiKeyRow, CommitError, ConflictKind, ListQuery, Op, OpResult, StoreError, WriteUnit, limits,
};
use serde_json::json;

use crate::harness::{TestDb, both_backends, merchants, scope, unit};
use crate::objects::object;

both_backends!(
    a_failing_unit_leaves_nothing_while_200_concurrent_units_commit,
    commit_many_applies_units_in_order_and_isolates_failures,
    invalid_units_are_refused_before_they_are_queued,
    a_closed_store_refuses_work_and_a_reopened_one_keeps_the_data,
);

/// Unit `i`: its own object, plus (for some) an op that conflicts or fails.
fn unit_for(i: usize) -> (WriteUnit, Option<ConflictKind>, bool) {
    let mut ops = vec![Op::InsertObject(object(
        &format!("obj_{i:03}"),
        "acct_c",
        false,
        "charge",
        i as i64,
    ))];
    let mut expected = None;
    let mut store_error = false;
    if i.is_multiple_of(5) {
        ops.push(Op::InsertObject(object(
            "seed", "acct_c", false, "charge", 0,
        )));
        expected = Some(ConflictKind::ObjectExists);
    } else if i.is_multiple_of(7) {
        ops.push(Op::UpdateObject {
            id: "seed".into(),
            expected_version: 99,
            data: json!({}),
            tag: None,
            due: None,
        });
        expected = Some(ConflictKind::VersionMismatch);
    } else if i.is_multiple_of(31) {
        // A foreign-key violation: an error from the database, not a conflict.
        ops.push(Op::InsertApiKey(ApiKeyRow {
            id: format!("key_{i}"),
            merchant_id: "acct_unknown".into(),
            livemode: false,
            kind: "secret".into(),
            key_hash: format!("hash_{i}"),
            display: "sk_test_...0000".into(),
            created: 0,
            revoked_at: None,
        }));
        store_error = true;
    }
    (WriteUnit { ops }, expected, store_error)
}

async fn a_failing_unit_leaves_nothing_while_200_concurrent_units_commit(db: &TestDb) {
    let s = &db.store;
    merchants(s, &["acct_c"]).await;
    s.commit(unit(vec![Op::InsertObject(object(
        "seed", "acct_c", false, "charge", 0,
    ))]))
    .await
    .unwrap();
    let before = s.stats();
    let tasks: Vec<_> = (0..200)
        .map(|i| {
            let store = s.clone();
            tokio::spawn(async move {
                let (unit, expected, store_error) = unit_for(i);
                (i, store.commit(unit).await, expected, store_error)
            })
        })
        .collect();
    let me = scope("acct_c", false);
    let mut committed = 0;
    for task in tasks {
        let (i, result, expected, store_error) = task.await.unwrap();
        let id = format!("obj_{i:03}");
        match (result, expected) {
            (Ok(results), None) if !store_error => {
                assert_eq!(results, vec![OpResult::Done]);
                committed += 1;
            }
            (Err(CommitError::Conflict { op_index, what }), Some(kind)) => {
                assert_eq!((op_index, what), (1, kind), "unit {i}")
            }
            (Err(CommitError::Store(_)), None) if store_error => {}
            (other, _) => panic!("unit {i}: unexpected {other:?}"),
        }
        let present = s.get_object(&me, &id).await.unwrap().is_some();
        assert_eq!(
            present,
            expected.is_none() && !store_error,
            "unit {i}: object present = {present}"
        );
    }
    let listed = s
        .list_objects(&me, &ListQuery::new("charge", 100))
        .await
        .unwrap();
    assert!(listed.has_more);
    assert_eq!(
        committed,
        (0..200_usize)
            .filter(|&i| !i.is_multiple_of(5) && !i.is_multiple_of(7) && !i.is_multiple_of(31))
            .count()
    );
    let after = s.stats();
    assert_eq!(after.units - before.units, 200, "{after:?}");
    assert!(
        after.batches - before.batches < 200,
        "no group commit happened: {after:?}"
    );
    assert!(after.largest_batch_units > 1, "{after:?}");
    assert!(
        after.careful_batches > before.careful_batches,
        "units failing at op 1 need the savepoint pass: {after:?}"
    );
}

async fn commit_many_applies_units_in_order_and_isolates_failures(db: &TestDb) {
    let s = &db.store;
    merchants(s, &["acct_c"]).await;
    let units = vec![
        unit(vec![Op::InsertObject(object(
            "a", "acct_c", false, "charge", 1,
        ))]),
        unit(vec![Op::InsertObject(object(
            "a", "acct_c", false, "charge", 1,
        ))]),
        unit(vec![]),
        unit(vec![Op::InsertObject(object(
            "b", "acct_c", false, "charge", 1,
        ))]),
    ];
    let results = s.commit_many(units).await;
    assert_eq!(results.len(), 4);
    assert_eq!(results[0].as_ref().unwrap(), &vec![OpResult::Done]);
    assert!(matches!(
        results[1],
        Err(CommitError::Conflict {
            op_index: 0,
            what: ConflictKind::ObjectExists
        })
    ));
    assert!(results[2].as_ref().unwrap().is_empty());
    assert_eq!(results[3].as_ref().unwrap(), &vec![OpResult::Done]);

    // Each unit depends on the one before; longer than one PostgreSQL batch.
    let chain_len = 150;
    let mut chain = vec![unit(vec![Op::InsertObject(object(
        "chain", "acct_c", false, "charge", 1,
    ))])];
    for version in 1..chain_len {
        let data = json!({ "step": version });
        chain.push(unit(vec![Op::UpdateObject {
            id: "chain".into(),
            expected_version: version,
            data,
            tag: None,
            due: None,
        }]));
    }
    let results = s.commit_many(chain).await;
    assert!(
        results.iter().all(Result::is_ok),
        "{:?}",
        results.iter().find(|r| r.is_err())
    );
    let stored = s
        .get_object(&scope("acct_c", false), "chain")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (stored.version, stored.data["step"].as_i64()),
        (chain_len, Some(chain_len - 1))
    );
}

async fn invalid_units_are_refused_before_they_are_queued(db: &TestDb) {
    let s = &db.store;
    merchants(s, &["acct_c"]).await;
    let too_many = (0..=limits::MAX_OPS_PER_UNIT)
        .map(|i| Op::InsertObject(object(&format!("o{i}"), "acct_c", false, "charge", 1)))
        .collect();
    let err = s.commit(unit(too_many)).await.unwrap_err();
    assert!(
        matches!(&err, CommitError::Store(StoreError::InvalidUnit(m)) if m.contains("MAX_OPS_PER_UNIT")),
        "{err}"
    );
    assert!(
        s.get_object(&scope("acct_c", false), "o0")
            .await
            .unwrap()
            .is_none()
    );
}

async fn a_closed_store_refuses_work_and_a_reopened_one_keeps_the_data(db: &TestDb) {
    let second = db.open_again().await;
    merchants(&second, &["acct_c"]).await;
    second
        .commit(unit(vec![Op::InsertObject(object(
            "kept", "acct_c", false, "charge", 1,
        ))]))
        .await
        .unwrap();
    second.close().await;
    let after = second
        .commit(unit(vec![Op::InsertObject(object(
            "late", "acct_c", false, "charge", 1,
        ))]))
        .await;
    assert!(
        matches!(after, Err(CommitError::Store(StoreError::Closed))),
        "{after:?}"
    );
    assert!(matches!(
        second.get_object(&scope("acct_c", false), "kept").await,
        Err(StoreError::Closed)
    ));
    // Opening again (migrations already applied) sees the committed data.
    let third = db.open_again().await;
    assert!(
        third
            .get_object(&scope("acct_c", false), "kept")
            .await
            .unwrap()
            .is_some()
    );
    third.close().await;
    assert!(
        db.store
            .get_object(&scope("acct_c", false), "kept")
            .await
            .unwrap()
            .is_some()
    );
}
