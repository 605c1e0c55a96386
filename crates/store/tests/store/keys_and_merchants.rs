use paygate_store::{ApiKeyRow, CommitError, ConflictKind, MerchantRow, Op, OpResult};
use serde_json::json;

use crate::harness::{TestDb, both_backends, merchants, unit};

both_backends!(
    merchants_are_created_once_and_their_settings_replaced,
    api_keys_are_found_by_hash_and_revoked_once
);

async fn merchants_are_created_once_and_their_settings_replaced(db: &TestDb) {
    let s = &db.store;
    let m = MerchantRow {
        id: "acct_1".into(),
        name: "Shop".into(),
        created: 10,
        settings: json!({"payout": "daily"}),
    };
    s.commit(unit(vec![Op::InsertMerchant(m.clone())]))
        .await
        .unwrap();
    assert_eq!(s.get_merchant("acct_1").await.unwrap(), Some(m.clone()));
    let dup = s.commit(unit(vec![Op::InsertMerchant(m.clone())])).await;
    assert!(matches!(
        dup,
        Err(CommitError::Conflict {
            op_index: 0,
            what: ConflictKind::ObjectExists
        })
    ));
    let settings = json!({"payout": "weekly", "fee_bps": 250});
    s.commit(unit(vec![Op::UpdateMerchantSettings {
        id: "acct_1".into(),
        settings: settings.clone(),
    }]))
    .await
    .unwrap();
    assert_eq!(
        s.get_merchant("acct_1").await.unwrap().unwrap().settings,
        settings
    );
    let missing = s
        .commit(unit(vec![Op::UpdateMerchantSettings {
            id: "acct_x".into(),
            settings: json!({}),
        }]))
        .await;
    assert!(matches!(
        missing,
        Err(CommitError::Conflict {
            op_index: 0,
            what: ConflictKind::NotFound
        })
    ));
    merchants(s, &["acct_2"]).await;
    let all: Vec<String> = s
        .list_merchants()
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.id)
        .collect();
    assert_eq!(all, ["acct_2", "acct_1"]); // by creation time: acct_2 was created at 1
    assert_eq!(s.get_merchant("acct_x").await.unwrap(), None);
}

fn key(id: &str, hash: &str, livemode: bool) -> ApiKeyRow {
    ApiKeyRow {
        id: id.into(),
        merchant_id: "acct_1".into(),
        livemode,
        kind: "secret".into(),
        key_hash: hash.into(),
        display: "sk_test_...abcd".into(),
        created: 5,
        revoked_at: None,
    }
}

async fn api_keys_are_found_by_hash_and_revoked_once(db: &TestDb) {
    let s = &db.store;
    merchants(s, &["acct_1"]).await;
    s.commit(unit(vec![
        Op::InsertApiKey(key("key_1", "h1", false)),
        Op::InsertApiKey(key("key_2", "h2", true)),
    ]))
    .await
    .unwrap();
    assert_eq!(
        s.find_api_key("h1").await.unwrap(),
        Some(key("key_1", "h1", false))
    );
    assert_eq!(s.find_api_key("nope").await.unwrap(), None);
    // Same hash under another id is refused: a hash names one key.
    let dup = s
        .commit(unit(vec![Op::InsertApiKey(key("key_3", "h1", false))]))
        .await;
    assert!(matches!(
        dup,
        Err(CommitError::Conflict {
            op_index: 0,
            what: ConflictKind::ObjectExists
        })
    ));

    let revoke = |id: &str, at| {
        unit(vec![Op::RevokeApiKey {
            id: id.into(),
            revoked_at: at,
        }])
    };
    assert_eq!(
        s.commit(revoke("key_1", 50)).await.unwrap(),
        vec![OpResult::Done]
    );
    assert_eq!(
        s.commit(revoke("key_1", 60)).await.unwrap(),
        vec![OpResult::Exists]
    );
    assert_eq!(
        s.find_api_key("h1").await.unwrap().unwrap().revoked_at,
        Some(50)
    );
    assert!(matches!(
        s.commit(revoke("key_x", 1)).await,
        Err(CommitError::Conflict {
            what: ConflictKind::NotFound,
            ..
        })
    ));
    let listed: Vec<String> = s
        .list_api_keys("acct_1")
        .await
        .unwrap()
        .into_iter()
        .map(|k| k.id)
        .collect();
    assert_eq!(listed, ["key_1", "key_2"]);
    assert!(s.list_api_keys("acct_2").await.unwrap().is_empty());
}
