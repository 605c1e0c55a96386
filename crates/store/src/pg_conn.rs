//! PostgreSQL connections: where to connect ([`PgSettings`]), one connection with its prepared
//! statements ([`PgConn`]), and the pool of connections for reads and outbox work
//! ([`PgPool`], [`Pooled`]). The batchers of `postgres` hold connections of their own.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_postgres::{Client, NoTls, Statement};

use crate::error::StoreError;
use crate::pg_tls::PgTls;

/// Where and how to connect.
pub(crate) struct PgSettings {
    pub(crate) config: tokio_postgres::Config,
    pub(crate) tls: PgTls,
    pub(crate) schema: Option<String>,
}

/// Connections for reads and outbox transactions, opened on demand up to `pool_size`.
pub(crate) struct PgPool {
    pub(crate) settings: Arc<PgSettings>,
    pub(crate) idle: Mutex<Vec<PgConn>>,
    pub(crate) permits: Arc<Semaphore>,
}

impl PgPool {
    pub(crate) async fn get(self: &Arc<Self>) -> Result<Pooled, StoreError> {
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| StoreError::Closed)?;
        let idle = self.idle.lock().ok().and_then(|mut idle| idle.pop());
        let conn = match idle {
            Some(conn) if !conn.client.is_closed() => conn,
            _ => PgConn::connect(&self.settings).await?,
        };
        Ok(Pooled {
            conn: Some(conn),
            pool: Arc::clone(self),
            _permit: permit,
        })
    }
}

/// A connection borrowed from the pool; returned on drop unless it was left inside a
/// transaction (a cancelled caller) or lost.
pub(crate) struct Pooled {
    conn: Option<PgConn>,
    pool: Arc<PgPool>,
    _permit: OwnedSemaphorePermit,
}

impl Pooled {
    pub(crate) fn get(&mut self) -> &mut PgConn {
        // Some from construction until drop.
        self.conn
            .as_mut()
            .expect("pooled connection present until dropped")
    }
}

impl Drop for Pooled {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            let reusable =
                !conn.in_tx && !conn.client.is_closed() && !self.pool.permits.is_closed();
            if reusable && let Ok(mut idle) = self.pool.idle.lock() {
                idle.push(conn);
            }
        }
    }
}

/// One PostgreSQL connection with its prepared statements.
pub(crate) struct PgConn {
    pub(crate) client: Client,
    statements: HashMap<String, Statement>,
    pub(crate) in_tx: bool,
}

impl PgConn {
    pub(crate) async fn connect(settings: &PgSettings) -> Result<PgConn, StoreError> {
        let client = match &settings.tls {
            PgTls::Plain => {
                let (client, connection) = settings.config.connect(NoTls).await?;
                tokio::spawn(watch(connection));
                client
            }
            PgTls::Rustls(tls) => {
                let (client, connection) = settings.config.connect(tls.clone()).await?;
                tokio::spawn(watch(connection));
                client
            }
        };
        // A reply must mean durable, whatever the server default is.
        let mut setup = String::from("SET synchronous_commit TO on");
        if let Some(schema) = &settings.schema {
            setup.push_str(&format!("; SET search_path TO \"{schema}\""));
        }
        client.batch_execute(&setup).await?;
        Ok(PgConn {
            client,
            statements: HashMap::new(),
            in_tx: false,
        })
    }

    pub(crate) async fn statement(&mut self, sql: &str) -> Result<Statement, StoreError> {
        if let Some(stmt) = self.statements.get(sql) {
            return Ok(stmt.clone());
        }
        let stmt = self.client.prepare(sql).await?;
        self.statements.insert(sql.to_owned(), stmt.clone());
        Ok(stmt)
    }
}

/// Drives a connection until it ends, saying why when it fails.
async fn watch<F>(connection: F)
where
    F: std::future::Future<Output = Result<(), tokio_postgres::Error>>,
{
    if let Err(e) = connection.await {
        tracing::warn!(error = %e, "postgres connection ended");
    }
}
