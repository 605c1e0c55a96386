//! A schema newer than this build (docs/OPERATIONS.md, "Upgrades"): during a rolling upgrade
//! the previous release runs on a schema the next one migrated. A build starts on versions it
//! does not know when `schema_version.expands_only` says each of them only added to the schema,
//! and refuses, naming the version, when one of them contracts it.

use crate::harness::{TestDb, both_backends};

both_backends!(
    a_newer_schema_is_accepted_while_it_only_expands_and_refused_once_it_contracts,
    a_version_table_without_the_expands_only_column_gets_it,
);

async fn a_newer_schema_is_accepted_while_it_only_expands_and_refused_once_it_contracts(
    db: &TestDb,
) {
    db.raw_sql(
        "INSERT INTO schema_version (version, applied_at, expands_only) VALUES (1000, 0, TRUE)",
    )
    .await;
    let beside = db.open_again().await;
    beside.close().await;
    db.raw_sql(
        "INSERT INTO schema_version (version, applied_at, expands_only) VALUES (1001, 0, FALSE)",
    )
    .await;
    let err = match db.try_open_again().await {
        Ok(_) => panic!("a build that does not know version 1001 started on it"),
        Err(err) => err.to_string(),
    };
    assert!(
        err.contains("database is at version 1001") && err.contains("version 1001 contracts"),
        "{err}"
    );
}

/// Databases created before the column existed (v0.8.0) get it on the next start; their
/// versions read as contracting, the safe default.
async fn a_version_table_without_the_expands_only_column_gets_it(db: &TestDb) {
    db.raw_sql("ALTER TABLE schema_version DROP COLUMN expands_only")
        .await;
    let again = db.open_again().await;
    again.close().await;
    db.raw_sql(
        "INSERT INTO schema_version (version, applied_at) VALUES (1000, 0); \
         UPDATE schema_version SET expands_only = NOT expands_only WHERE version = 1000",
    )
    .await;
    // The default was FALSE (contracting), flipped to TRUE: this build runs on it.
    let again = db.open_again().await;
    again.close().await;
}
