//! Versioned schema migrations, one SQL file per version and backend under `migrations/`.
//! Each run applies the versions above the highest one recorded in `schema_version`, inside
//! one transaction, so opening a store twice (or from two processes) is harmless.
//!
//! Zero-downtime upgrades (docs/OPERATIONS.md, "Upgrades"): during a rolling upgrade the
//! previous release keeps running on a schema the new one already migrated. Each version says
//! whether it only *expands* the schema ([`Change::Expand`]: new tables, nullable columns,
//! indexes) and `schema_version.expands_only` records it in the database, so a build that
//! meets versions newer than it knows starts when all of them only expand, and refuses with
//! the first one that contracts (drops or renames what older builds read).

use std::time::{SystemTime, UNIX_EPOCH};

use rusqlite::Connection;

use crate::error::StoreError;

/// What a schema version does to the shape older builds read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    /// Only adds (tables, nullable or defaulted columns, indexes): the build before it runs on.
    Expand,
    /// Drops, renames or retypes something: builds that do not know this version must stop.
    Contract,
}

impl Change {
    fn expands_only(self) -> bool {
        self == Change::Expand
    }
}

/// One schema version of one backend.
struct Migration {
    version: i64,
    change: Change,
    sql: &'static str,
}

/// In ascending order. Version 1 creates everything: no build runs without it (`Contract`).
const SQLITE: &[Migration] = &[
    Migration {
        version: 1,
        change: Change::Contract,
        sql: include_str!("../migrations/sqlite/0001_init.sql"),
    },
    Migration {
        version: 2,
        change: Change::Expand,
        sql: include_str!("../migrations/sqlite/0002_deliveries_by_endpoint.sql"),
    },
    Migration {
        version: 3,
        change: Change::Expand,
        sql: include_str!("../migrations/sqlite/0003_deliveries_by_event.sql"),
    },
    Migration {
        version: 4,
        change: Change::Expand,
        sql: include_str!("../migrations/sqlite/0004_event_commit_order.sql"),
    },
];
const POSTGRES: &[Migration] = &[
    Migration {
        version: 1,
        change: Change::Contract,
        sql: include_str!("../migrations/postgres/0001_init.sql"),
    },
    Migration {
        version: 2,
        change: Change::Expand,
        sql: include_str!("../migrations/postgres/0002_deliveries_by_endpoint.sql"),
    },
    Migration {
        version: 3,
        change: Change::Expand,
        sql: include_str!("../migrations/postgres/0003_deliveries_by_event.sql"),
    },
    Migration {
        version: 4,
        change: Change::Expand,
        sql: include_str!("../migrations/postgres/0004_event_commit_order.sql"),
    },
];

const VERSION_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_version (version BIGINT PRIMARY KEY NOT NULL, applied_at BIGINT NOT NULL)";
/// Added beside the versions (not as one: a version the previous release does not know would
/// stop it), defaulting to "contracts" for rows written by builds that did not record it.
const EXPANDS_ONLY_COLUMN: &str =
    "ALTER TABLE schema_version ADD COLUMN expands_only BOOLEAN NOT NULL DEFAULT FALSE";
/// Serializes migrations of processes starting together (pg_advisory_xact_lock key).
const PG_MIGRATION_LOCK_KEY: i64 = 0x7061_7967_6174_6531; // "paygate1"

fn now_s() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

fn known(all: &[Migration]) -> i64 {
    all.last().map_or(0, |m| m.version)
}

/// The migrations above `current` (none when the database is newer than this build).
fn pending(all: &'static [Migration], current: i64) -> &'static [Migration] {
    &all[all.iter().take_while(|m| m.version <= current).count()..]
}

/// Whether this build, knowing versions up to `known`, may run on a database at `current`
/// whose versions above `known` that do not only expand are `contracting` (ascending).
fn check_newer(known: i64, current: i64, contracting: &[i64]) -> Result<(), StoreError> {
    match contracting.first() {
        None => {
            if current > known {
                tracing::info!(
                    current,
                    known,
                    "schema is newer than this build but only expanded since: running on it"
                );
            }
            Ok(())
        }
        Some(version) => Err(StoreError::Config(format!(
            "schema_version: database is at version {current}, this build knows up to {known}, \
             and version {version} contracts the schema (drops or renames what this build \
             reads): run a build that knows version {current}"
        ))),
    }
}

const NEWER_CONTRACTING: &str =
    "SELECT version FROM schema_version WHERE version > $1 AND NOT expands_only ORDER BY version";

pub(crate) fn sqlite(conn: &Connection) -> Result<(), StoreError> {
    conn.execute_batch("BEGIN IMMEDIATE")?;
    let applied = (|| -> Result<(), StoreError> {
        conn.execute_batch(VERSION_TABLE)?;
        let has_column: bool = conn.query_row(
            "SELECT COUNT(*) > 0 FROM pragma_table_info('schema_version') WHERE name = 'expands_only'",
            [],
            |r| r.get(0),
        )?;
        if !has_column {
            conn.execute_batch(EXPANDS_ONLY_COLUMN)?;
        }
        let current: i64 = conn.query_row(
            "SELECT COALESCE(MAX(version), 0) FROM schema_version",
            [],
            |r| r.get(0),
        )?;
        let contracting = conn
            .prepare(&NEWER_CONTRACTING.replace('$', "?"))?
            .query_map([known(SQLITE)], |r| r.get::<_, i64>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        check_newer(known(SQLITE), current, &contracting)?;
        for m in pending(SQLITE, current) {
            conn.execute_batch(m.sql)?;
            conn.execute(
                "INSERT INTO schema_version (version, applied_at, expands_only) VALUES (?1, ?2, ?3)",
                (m.version, now_s(), m.change.expands_only()),
            )?;
            tracing::info!(version = m.version, "sqlite schema migrated");
        }
        Ok(())
    })();
    match applied {
        Ok(()) => Ok(conn.execute_batch("COMMIT")?),
        Err(err) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(err)
        }
    }
}

pub(crate) async fn postgres(
    client: &tokio_postgres::Client,
    schema: Option<&str>,
) -> Result<(), StoreError> {
    client.batch_execute("BEGIN").await?;
    let applied = async {
        client
            .batch_execute(&format!(
                "SELECT pg_advisory_xact_lock({PG_MIGRATION_LOCK_KEY})"
            ))
            .await?;
        if let Some(schema) = schema {
            client
                .batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS \"{schema}\""))
                .await?;
        }
        client.batch_execute(VERSION_TABLE).await?;
        client
            .batch_execute(&EXPANDS_ONLY_COLUMN.replace("ADD COLUMN", "ADD COLUMN IF NOT EXISTS"))
            .await?;
        let row = client
            .query_one(
                "SELECT COALESCE(MAX(version), 0)::BIGINT FROM schema_version",
                &[],
            )
            .await?;
        let current: i64 = row.try_get(0)?;
        let contracting = client
            .query(NEWER_CONTRACTING, &[&known(POSTGRES)])
            .await?
            .iter()
            .map(|r| r.try_get::<_, i64>(0))
            .collect::<Result<Vec<_>, _>>()?;
        check_newer(known(POSTGRES), current, &contracting)?;
        for m in pending(POSTGRES, current) {
            client.batch_execute(m.sql).await?;
            client
                .execute(
                    "INSERT INTO schema_version (version, applied_at, expands_only) VALUES ($1, $2, $3)",
                    &[&m.version, &now_s(), &m.change.expands_only()],
                )
                .await?;
            tracing::info!(version = m.version, "postgres schema migrated");
        }
        Ok::<(), StoreError>(())
    }
    .await;
    match applied {
        Ok(()) => Ok(client.batch_execute("COMMIT").await?),
        Err(err) => {
            let _ = client.batch_execute("ROLLBACK").await;
            Err(err)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pending_skips_applied_versions() {
        assert_eq!(pending(SQLITE, 0).len(), SQLITE.len());
        assert!(pending(SQLITE, known(SQLITE)).is_empty());
        assert!(pending(SQLITE, 999).is_empty());
        assert_eq!(pending(POSTGRES, 1)[0].version, 2);
    }

    #[test]
    fn both_backends_know_the_same_versions_and_changes() {
        let shape = |all: &[Migration]| -> Vec<(i64, Change)> {
            all.iter().map(|m| (m.version, m.change)).collect()
        };
        assert_eq!(shape(SQLITE), shape(POSTGRES));
    }

    /// The `delivery_success` events filter asks, per event, whether a delivery of it has not
    /// succeeded; SQLite answers that from the `deliveries_by_event` index, not a scan.
    #[test]
    fn the_delivery_success_filter_is_served_by_an_index() {
        let conn = Connection::open_in_memory().unwrap();
        sqlite(&conn).unwrap();
        let mut stmt = conn
            .prepare(
                "EXPLAIN QUERY PLAN SELECT 1 FROM deliveries d WHERE d.event_id = ?1 \
                 AND d.merchant_id = ?2 AND d.state <> 'succeeded'",
            )
            .unwrap();
        let plan: Vec<String> = stmt
            .query_map(("evt_1", "acct_1"), |r| r.get::<_, String>(3))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(
            plan.iter().any(|step| step.contains("deliveries_by_event")),
            "{plan:?}"
        );
    }
}
