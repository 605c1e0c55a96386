//! Versioned schema migrations, one SQL file per version and backend under `migrations/`.
//! Each run applies the versions above the highest one recorded in `schema_version`, inside
//! one transaction, so opening a store twice (or from two processes) is harmless.

use std::time::{SystemTime, UNIX_EPOCH};

use rusqlite::Connection;

use crate::error::StoreError;

/// (version, SQL) in ascending order.
const SQLITE: &[(i64, &str)] = &[
    (1, include_str!("../migrations/sqlite/0001_init.sql")),
    (
        2,
        include_str!("../migrations/sqlite/0002_deliveries_by_endpoint.sql"),
    ),
    (
        3,
        include_str!("../migrations/sqlite/0003_deliveries_by_event.sql"),
    ),
];
const POSTGRES: &[(i64, &str)] = &[
    (1, include_str!("../migrations/postgres/0001_init.sql")),
    (
        2,
        include_str!("../migrations/postgres/0002_deliveries_by_endpoint.sql"),
    ),
    (
        3,
        include_str!("../migrations/postgres/0003_deliveries_by_event.sql"),
    ),
];

const VERSION_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_version (version BIGINT PRIMARY KEY NOT NULL, applied_at BIGINT NOT NULL)";
/// Serializes migrations of processes starting together (pg_advisory_xact_lock key).
const PG_MIGRATION_LOCK_KEY: i64 = 0x7061_7967_6174_6531; // "paygate1"

fn now_s() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// The migrations above `current`; an error if the database is newer than this build.
fn pending(
    all: &'static [(i64, &'static str)],
    current: i64,
) -> Result<&'static [(i64, &'static str)], StoreError> {
    let known = all.last().map_or(0, |(v, _)| *v);
    if current > known {
        return Err(StoreError::Config(format!(
            "schema_version: database is at version {current}, this build knows up to {known}"
        )));
    }
    Ok(&all[all.iter().take_while(|(v, _)| *v <= current).count()..])
}

pub(crate) fn sqlite(conn: &Connection) -> Result<(), StoreError> {
    conn.execute_batch("BEGIN IMMEDIATE")?;
    let applied = (|| -> Result<(), StoreError> {
        conn.execute_batch(VERSION_TABLE)?;
        let current: i64 = conn.query_row(
            "SELECT COALESCE(MAX(version), 0) FROM schema_version",
            [],
            |r| r.get(0),
        )?;
        for (version, sql) in pending(SQLITE, current)? {
            conn.execute_batch(sql)?;
            conn.execute(
                "INSERT INTO schema_version (version, applied_at) VALUES (?1, ?2)",
                (version, now_s()),
            )?;
            tracing::info!(version, "sqlite schema migrated");
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
        let row = client
            .query_one(
                "SELECT COALESCE(MAX(version), 0)::BIGINT FROM schema_version",
                &[],
            )
            .await?;
        let current: i64 = row.try_get(0)?;
        for (version, sql) in pending(POSTGRES, current)? {
            client.batch_execute(sql).await?;
            client
                .execute(
                    "INSERT INTO schema_version (version, applied_at) VALUES ($1, $2)",
                    &[version, &now_s()],
                )
                .await?;
            tracing::info!(version, "postgres schema migrated");
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
    fn pending_skips_applied_versions_and_refuses_newer_databases() {
        assert_eq!(pending(SQLITE, 0).unwrap().len(), SQLITE.len());
        assert!(pending(SQLITE, SQLITE.len() as i64).unwrap().is_empty());
        assert!(pending(SQLITE, 999).is_err());
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
