//! Gives each test a fresh store on each backend.
//!
//! SQLite: a file in a temporary directory. PostgreSQL: a new schema (random name) in the
//! database at `PAYGATE_TEST_DATABASE_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`),
//! dropped afterwards. Without a server the PostgreSQL variant prints a skip line and passes,
//! unless `PAYGATE_REQUIRE_POSTGRES=1`.

use std::path::PathBuf;
use std::time::Duration;

use paygate_store::{MerchantRow, Op, Scope, Store, StoreConfig, WriteUnit};
use serde_json::json;

const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";
const PG_PROBE_TIMEOUT_MS: u64 = 3_000;
const PG_TEST_POOL_SIZE: usize = 4;

/// Runs `$name(&TestDb)` once per backend, as `$name::sqlite` and `$name::postgres`.
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let db = crate::harness::TestDb::sqlite().await;
                super::$name(&db).await;
                db.finish().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some(db) = crate::harness::TestDb::postgres().await else { return };
                // Run in a task so that a failing test still drops its schema.
                let db = std::sync::Arc::new(db);
                let shared = std::sync::Arc::clone(&db);
                let outcome = tokio::spawn(async move { super::$name(&shared).await }).await;
                if let Ok(db) = std::sync::Arc::try_unwrap(db) {
                    db.finish().await;
                }
                if let Err(failed) = outcome {
                    std::panic::resume_unwind(failed.into_panic());
                }
            }
        }
    )*};
}
pub(crate) use both_backends;

enum Where {
    Sqlite {
        path: PathBuf,
        _dir: tempfile::TempDir,
    },
    Postgres {
        url: String,
        schema: String,
    },
}

/// A store plus what is needed to reach the same database behind its back.
pub struct TestDb {
    pub store: Store,
    place: Where,
}

impl TestDb {
    pub async fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("nested").join("paygate.db");
        let store = Store::open(StoreConfig::Sqlite { path: path.clone() })
            .await
            .expect("open sqlite store");
        assert_eq!(store.backend_name(), "sqlite");
        TestDb {
            store,
            place: Where::Sqlite { path, _dir: dir },
        }
    }

    /// `None` (after printing why) when no server answers and none is required.
    pub async fn postgres() -> Option<TestDb> {
        let url =
            std::env::var("PAYGATE_TEST_DATABASE_URL").unwrap_or_else(|_| DEFAULT_URL.to_owned());
        if let Err(why) = probe(&url).await {
            if std::env::var("PAYGATE_REQUIRE_POSTGRES").as_deref() == Ok("1") {
                panic!("PAYGATE_REQUIRE_POSTGRES=1 but no PostgreSQL at {url}: {why}");
            }
            println!("skipped: no PostgreSQL at {url} ({why})");
            return None;
        }
        let schema = format!("paygate_test_{}", uuid::Uuid::new_v4().simple());
        let store = Store::open(pg_config(&url, &schema))
            .await
            .expect("open postgres store");
        assert_eq!(store.backend_name(), "postgres");
        Some(TestDb {
            store,
            place: Where::Postgres { url, schema },
        })
    }

    /// Another store on the same database, as a second process would have.
    pub async fn open_again(&self) -> Store {
        self.try_open_again().await.expect("open second store")
    }

    /// [`TestDb::open_again`], which may fail (the schema is newer than this build).
    pub async fn try_open_again(&self) -> Result<Store, paygate_store::StoreError> {
        let cfg = match &self.place {
            Where::Sqlite { path, .. } => StoreConfig::Sqlite { path: path.clone() },
            Where::Postgres { url, schema } => pg_config(url, schema),
        };
        Store::open(cfg).await
    }

    /// Runs SQL on a connection of its own, bypassing the store.
    pub async fn raw_sql(&self, sql: &str) {
        match &self.place {
            Where::Sqlite { path, .. } => {
                let conn = rusqlite::Connection::open(path).expect("raw sqlite connection");
                conn.execute_batch(sql).expect("raw sqlite statement");
            }
            Where::Postgres { url, schema } => {
                let client = raw_pg(url).await;
                client
                    .batch_execute(&format!("SET search_path TO \"{schema}\"; {sql}"))
                    .await
                    .expect("raw pg statement");
            }
        }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self.place, Where::Postgres { .. })
    }

    /// A transaction on a connection of its own, bypassing the store, left open until
    /// [`OpenTx::end`] (a writer of another process that has not committed yet).
    pub async fn begin_raw(&self) -> OpenTx {
        match &self.place {
            Where::Sqlite { path, .. } => {
                let conn = rusqlite::Connection::open(path).expect("raw sqlite connection");
                conn.execute_batch("BEGIN").expect("raw sqlite begin");
                OpenTx::Sqlite(std::sync::Mutex::new(conn))
            }
            Where::Postgres { url, schema } => {
                let client = raw_pg(url).await;
                client
                    .batch_execute(&format!("SET search_path TO \"{schema}\"; BEGIN"))
                    .await
                    .expect("raw pg begin");
                OpenTx::Postgres(client)
            }
        }
    }

    pub async fn finish(self) {
        self.store.close().await;
        if let Where::Postgres { url, schema } = &self.place {
            let client = raw_pg(url).await;
            client
                .batch_execute(&format!("DROP SCHEMA \"{schema}\" CASCADE"))
                .await
                .expect("drop test schema");
        }
    }
}

/// See [`TestDb::begin_raw`].
pub enum OpenTx {
    /// In a mutex so that a test holding it can move between threads.
    Sqlite(std::sync::Mutex<rusqlite::Connection>),
    Postgres(tokio_postgres::Client),
}

impl OpenTx {
    pub async fn exec(&self, sql: &str) {
        match self {
            OpenTx::Sqlite(conn) => conn
                .lock()
                .expect("raw sqlite connection")
                .execute_batch(sql)
                .expect("raw sqlite statement"),
            OpenTx::Postgres(client) => client.batch_execute(sql).await.expect("raw pg statement"),
        }
    }

    /// Commits (`true`) or rolls back.
    pub async fn end(self, commit: bool) {
        self.exec(if commit { "COMMIT" } else { "ROLLBACK" }).await;
    }
}

fn pg_config(url: &str, schema: &str) -> StoreConfig {
    StoreConfig::Postgres {
        url: url.to_owned(),
        schema: Some(schema.to_owned()),
        pool_size: PG_TEST_POOL_SIZE,
    }
}

async fn probe(url: &str) -> Result<(), String> {
    let mut config: tokio_postgres::Config = url.parse().map_err(|e| format!("{e}"))?;
    config.connect_timeout(Duration::from_millis(PG_PROBE_TIMEOUT_MS));
    let connect = tokio::time::timeout(
        Duration::from_millis(PG_PROBE_TIMEOUT_MS),
        config.connect(tokio_postgres::NoTls),
    );
    match connect.await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("timed out".to_owned()),
    }
}

async fn raw_pg(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .expect("raw pg connection");
    tokio::spawn(connection);
    client
}

pub fn scope(merchant_id: &str, livemode: bool) -> Scope {
    Scope {
        merchant_id: merchant_id.to_owned(),
        livemode,
    }
}

pub fn unit(ops: Vec<Op>) -> WriteUnit {
    WriteUnit { ops }
}

/// Creates merchants `ids` in one unit.
pub async fn merchants(store: &Store, ids: &[&str]) {
    let ops = ids
        .iter()
        .map(|id| {
            Op::InsertMerchant(MerchantRow {
                id: (*id).to_owned(),
                name: format!("Shop {id}"),
                created: 1,
                settings: json!({}),
            })
        })
        .collect();
    store.commit(unit(ops)).await.expect("create merchants");
}

/// Compile-time check: every `Store` future can move between threads (the gateway spawns
/// them on a multi-threaded runtime). Never called.
#[allow(dead_code)]
fn every_store_future_is_send(s: &Store, scope: &Scope, q: &paygate_store::ListQuery) {
    fn send<T: Send>(_: T) {}
    send(s.commit(unit(vec![])));
    send(s.commit_many(vec![]));
    send(s.get_object(scope, "id"));
    send(s.list_objects(scope, q));
    send(s.event_feed(scope, Some("evt"), &[], 1));
    send(s.event_feed_end(scope));
    send(s.list_due("charge", "tag", 0, 1));
    send(s.get_merchant("id"));
    send(s.list_merchants());
    send(s.find_api_key("hash"));
    send(s.list_api_keys("id"));
    send(s.idempotency_get(scope, "key"));
    send(s.prune_idempotency(0));
    send(s.attempts(Some("node")));
    send(s.get_vault_card("id"));
    send(s.vault_cards_not_under("kek", 1));
    send(s.ledger_balances("m:"));
    send(s.ledger_verify());
    send(s.dispatch_events(1, 0));
    send(s.claim_deliveries("w", 0, 1, 1));
    send(s.list_delivery_attempts(scope, None, None, 1));
    send(s.close());
    send(Store::open(StoreConfig::Sqlite {
        path: PathBuf::new(),
    }));
}
