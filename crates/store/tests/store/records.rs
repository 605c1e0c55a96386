use paygate_store::{AttemptRow, CommitError, ConflictKind, Op, OpResult, VaultCardRow};
use serde_json::json;

use crate::harness::{TestDb, both_backends, merchants, scope, unit};
use crate::objects::object;

both_backends!(
    idempotency_keys_begin_finish_replay_conflict_and_release,
    old_idempotency_keys_are_pruned,
    crash_recovery_attempts_are_upserted_listed_and_deleted,
    vault_cards_are_rewrapped_only_from_the_expected_key,
    vault_cards_are_deleted_once,
);

async fn idempotency_keys_begin_finish_replay_conflict_and_release(db: &TestDb) {
    let s = &db.store;
    merchants(s, &["acct_1"]).await;
    let me = scope("acct_1", false);
    let begin = |key: &str| Op::IdempotencyBegin {
        scope: me.clone(),
        key: key.into(),
        request_hash: "hash_a".into(),
        owner: "node_1/req_9".into(),
        created: 100,
    };
    assert_eq!(
        s.commit(unit(vec![begin("k1")])).await.unwrap(),
        vec![OpResult::Done]
    );
    let row = s.idempotency_get(&me, "k1").await.unwrap().unwrap();
    assert_eq!(
        (
            row.state.as_str(),
            row.owner.as_str(),
            row.status,
            row.created
        ),
        ("in_flight", "node_1/req_9", None, 100)
    );
    let twice = s.commit(unit(vec![begin("k1")])).await;
    assert!(matches!(
        twice,
        Err(CommitError::Conflict {
            op_index: 0,
            what: ConflictKind::IdempotencyKeyExists
        })
    ));

    let finish = Op::IdempotencyFinish {
        scope: me.clone(),
        key: "k1".into(),
        status: 201,
        body: "{\"id\":\"pi_1\"}".into(),
    };
    s.commit(unit(vec![finish])).await.unwrap();
    let done = s.idempotency_get(&me, "k1").await.unwrap().unwrap();
    assert_eq!(
        (done.state.as_str(), done.status, done.body.as_deref()),
        ("done", Some(201), Some("{\"id\":\"pi_1\"}"))
    );
    assert_eq!(done.request_hash, "hash_a");

    // The key is per scope: live mode and another merchant have their own.
    assert!(
        s.idempotency_get(&scope("acct_1", true), "k1")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        s.idempotency_get(&scope("acct_2", false), "k1")
            .await
            .unwrap()
            .is_none()
    );

    let insert_done = |key: &str| Op::IdempotencyInsertDone {
        scope: me.clone(),
        key: key.into(),
        request_hash: "hash_b".into(),
        status: 200,
        body: "{}".into(),
        created: 101,
    };
    assert!(matches!(
        s.commit(unit(vec![insert_done("k1")])).await,
        Err(CommitError::Conflict {
            what: ConflictKind::IdempotencyKeyExists,
            ..
        })
    ));
    s.commit(unit(vec![insert_done("k2")])).await.unwrap();
    assert_eq!(
        s.idempotency_get(&me, "k2").await.unwrap().unwrap().state,
        "done"
    );

    let release = |key: &str| Op::IdempotencyRelease {
        scope: me.clone(),
        key: key.into(),
    };
    s.commit(unit(vec![begin("k3")])).await.unwrap();
    assert_eq!(
        s.commit(unit(vec![release("k3")])).await.unwrap(),
        vec![OpResult::Done]
    );
    assert!(s.idempotency_get(&me, "k3").await.unwrap().is_none());
    // A finished key keeps its response.
    assert_eq!(
        s.commit(unit(vec![release("k1")])).await.unwrap(),
        vec![OpResult::Exists]
    );
    assert!(s.idempotency_get(&me, "k1").await.unwrap().is_some());

    let unknown = Op::IdempotencyFinish {
        scope: me.clone(),
        key: "k9".into(),
        status: 200,
        body: String::new(),
    };
    assert!(matches!(
        s.commit(unit(vec![unknown])).await,
        Err(CommitError::Conflict {
            what: ConflictKind::NotFound,
            ..
        })
    ));

    // A key begun in a unit that fails is not recorded.
    let failing = unit(vec![
        begin("k4"),
        Op::InsertObject(object("x", "acct_1", false, "charge", 1)),
        Op::InsertObject(object("x", "acct_1", false, "charge", 1)),
    ]);
    assert!(matches!(
        s.commit(failing).await,
        Err(CommitError::Conflict {
            op_index: 2,
            what: ConflictKind::ObjectExists
        })
    ));
    assert!(s.idempotency_get(&me, "k4").await.unwrap().is_none());
}

async fn old_idempotency_keys_are_pruned(db: &TestDb) {
    let s = &db.store;
    let me = scope("acct_1", false);
    let ops = (0..30)
        .map(|i| Op::IdempotencyInsertDone {
            scope: me.clone(),
            key: format!("k{i}"),
            request_hash: "h".into(),
            status: 200,
            body: "{}".into(),
            created: i,
        })
        .collect();
    s.commit(unit(ops)).await.unwrap();
    assert_eq!(s.prune_idempotency(20).await.unwrap(), 20);
    assert!(s.idempotency_get(&me, "k19").await.unwrap().is_none());
    assert!(s.idempotency_get(&me, "k20").await.unwrap().is_some());
    assert_eq!(s.prune_idempotency(20).await.unwrap(), 0);
}

fn attempt(id: &str, node: &str, state: &str, created: i64) -> AttemptRow {
    AttemptRow {
        id: id.into(),
        merchant_id: "acct_1".into(),
        livemode: false,
        owner_node: node.into(),
        state: state.into(),
        created,
        data: json!({ "stan": "000123", "amount": 1000 }),
    }
}

async fn crash_recovery_attempts_are_upserted_listed_and_deleted(db: &TestDb) {
    let s = &db.store;
    let ops = vec![
        Op::PutAttempt(attempt("att_2", "node_b", "sent", 20)),
        Op::PutAttempt(attempt("att_1", "node_a", "sent", 10)),
        Op::PutAttempt(attempt("att_3", "node_a", "sent", 30)),
    ];
    s.commit(unit(ops)).await.unwrap();
    s.commit(unit(vec![Op::PutAttempt(attempt(
        "att_1", "node_a", "approved", 10,
    ))]))
    .await
    .unwrap();
    let all = s.attempts(None).await.unwrap();
    assert_eq!(
        all.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(),
        ["att_1", "att_2", "att_3"]
    );
    assert_eq!(all[0], attempt("att_1", "node_a", "approved", 10));
    let mine: Vec<String> = s
        .attempts(Some("node_a"))
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.id)
        .collect();
    assert_eq!(mine, ["att_1", "att_3"]);
    let delete = |id: &str| unit(vec![Op::DeleteAttempt { id: id.into() }]);
    assert_eq!(
        s.commit(delete("att_1")).await.unwrap(),
        vec![OpResult::Done]
    );
    assert_eq!(
        s.commit(delete("att_1")).await.unwrap(),
        vec![OpResult::Exists]
    );
    assert_eq!(s.attempts(Some("node_a")).await.unwrap().len(), 1);
}

fn card(id: &str, kek: &str) -> VaultCardRow {
    VaultCardRow {
        id: id.into(),
        merchant_id: "acct_1".into(),
        kek_id: kek.into(),
        wrapped_dek: vec![1, 2, 3, 0, 255],
        ciphertext: vec![9; 48],
        fingerprint: format!("fp_{id}"),
        created: 7,
    }
}

async fn vault_cards_are_rewrapped_only_from_the_expected_key(db: &TestDb) {
    let s = &db.store;
    merchants(s, &["acct_1"]).await;
    s.commit(unit(vec![
        Op::InsertVaultCard(card("card_1", "kek_1")),
        Op::InsertVaultCard(card("card_2", "kek_2")),
    ]))
    .await
    .unwrap();
    assert_eq!(
        s.get_vault_card("card_1").await.unwrap(),
        Some(card("card_1", "kek_1"))
    );
    assert!(matches!(
        s.commit(unit(vec![Op::InsertVaultCard(card("card_1", "kek_1"))]))
            .await,
        Err(CommitError::Conflict {
            what: ConflictKind::ObjectExists,
            ..
        })
    ));
    let stale: Vec<String> = s
        .vault_cards_not_under("kek_2", 10)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(stale, ["card_1"]);

    let rewrap = |expected: &str| Op::RewrapVaultCard {
        id: "card_1".into(),
        expected_kek_id: expected.into(),
        kek_id: "kek_2".into(),
        wrapped_dek: vec![7, 7, 7],
    };
    assert_eq!(
        s.commit(unit(vec![rewrap("kek_1")])).await.unwrap(),
        vec![OpResult::Done]
    );
    // A second rewrapper that unwrapped with the old key loses.
    assert!(matches!(
        s.commit(unit(vec![rewrap("kek_1")])).await,
        Err(CommitError::Conflict {
            what: ConflictKind::VersionMismatch,
            ..
        })
    ));
    let stored = s.get_vault_card("card_1").await.unwrap().unwrap();
    assert_eq!(
        (
            stored.kek_id.as_str(),
            stored.wrapped_dek.as_slice(),
            stored.ciphertext.len()
        ),
        ("kek_2", &[7u8, 7, 7][..], 48)
    );
    assert!(
        s.vault_cards_not_under("kek_2", 10)
            .await
            .unwrap()
            .is_empty()
    );
    let gone = Op::RewrapVaultCard {
        id: "card_9".into(),
        expected_kek_id: "kek_1".into(),
        kek_id: "kek_2".into(),
        wrapped_dek: vec![],
    };
    assert!(matches!(
        s.commit(unit(vec![gone])).await,
        Err(CommitError::Conflict {
            what: ConflictKind::NotFound,
            ..
        })
    ));
}

async fn vault_cards_are_deleted_once(db: &TestDb) {
    let s = &db.store;
    merchants(s, &["acct_1"]).await;
    s.commit(unit(vec![Op::InsertVaultCard(card("card_1", "kek_1"))]))
        .await
        .unwrap();
    let delete = || {
        unit(vec![Op::DeleteVaultCard {
            id: "card_1".into(),
        }])
    };
    assert_eq!(s.commit(delete()).await.unwrap(), vec![OpResult::Done]);
    assert_eq!(s.get_vault_card("card_1").await.unwrap(), None);
    assert_eq!(s.commit(delete()).await.unwrap(), vec![OpResult::Exists]);
}
