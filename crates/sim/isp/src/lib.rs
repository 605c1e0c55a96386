//! The ISP 안전결제 server simulator (`paygate sim isp`): the card company's CA and verifier,
//! exactly as `/work/notes/isp-contract.md` describes, on one HTTP JSON server:
//!
//! - `GET /v1/ca`, `GET /v1/encryption_key` ([`http`]);
//! - `POST /v1/enroll` ([`enroll`]): CSR + card JWE → a cardholder certificate, when the
//!   issuer's rules ([`issuer`], the card-network simulator's test cards) allow the card;
//! - `POST /v1/verify` ([`verify`]): the ten checks, then the ECI, authentication value
//!   (the CAVV formula the card-network simulator checks) and transaction id;
//! - `POST /v1/revoke` (test helper);
//! - [`store`]: state and journal in SQLite; [`journal`] reads it for
//!   `paygate sim isp journal`. Keys are derived from the CAVV key ([`keys`]).
//!
//! It shares the protocol crate (`paygate-isp`) with paygate's clients — the independent
//! clients of the tests build the messages themselves.

pub mod cli;
mod enroll;
mod http;
mod issuer;
pub mod journal;
mod keys;
mod store;
mod verify;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

pub use journal::JournalEntry;
pub use paygate_sim_kit::SimError;
pub use store::JOURNAL_FILE;

/// Default lifetime of a cardholder certificate: one year.
pub const DEFAULT_CERTIFICATE_LIFETIME: Duration = Duration::from_secs(365 * 24 * 3600);

/// How to run the simulator.
#[derive(Clone)]
pub struct Config {
    /// Address to listen on; port 0 picks a free port.
    pub listen: SocketAddr,
    /// Directory of the database (created if missing).
    pub data_dir: PathBuf,
    /// The 32-byte CAVV key shared with the card-network simulator; every other key of the
    /// server is derived from it.
    pub cavv_key: [u8; 32],
    /// Lifetime of the certificates enrolment issues (tests shorten it to see
    /// `isp_certificate_expired`).
    pub certificate_lifetime: Duration,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("data_dir", &self.data_dir)
            .field("cavv_key", &"..")
            .field("certificate_lifetime", &self.certificate_lifetime)
            .finish()
    }
}

impl Config {
    /// One-year certificates.
    pub fn new(listen: SocketAddr, data_dir: impl Into<PathBuf>, cavv_key: [u8; 32]) -> Config {
        Config {
            listen,
            data_dir: data_dir.into(),
            cavv_key,
            certificate_lifetime: DEFAULT_CERTIFICATE_LIFETIME,
        }
    }
}

/// Everything the handlers share.
pub(crate) struct Sim {
    pub store: store::Store,
    pub keys: keys::Keys,
    pub certificate_lifetime: Duration,
}

/// Milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> i64 {
    let now = time::OffsetDateTime::now_utc();
    i64::try_from(now.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

/// A running simulator. Dropping it asks it to stop; [`Running::shutdown`] also waits.
#[derive(Debug)]
pub struct Running {
    local_addr: SocketAddr,
    base_url: String,
    shutdown: tokio::sync::watch::Sender<bool>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Running {
    /// The address the simulator listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// `http://{local_addr}`: what `paygate serve --isp-url` and `paygate isp enroll
    /// --isp-url` take.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Stops accepting and lets requests in progress finish.
    pub async fn shutdown(mut self) -> Result<(), SimError> {
        self.shutdown.send_replace(true);
        if let Some(task) = self.task.take() {
            task.await.map_err(|e| SimError::Task(e.to_string()))?;
        }
        Ok(())
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.shutdown.send_replace(true);
    }
}

/// Opens the database, loads the keys, binds the listener and starts serving; returns once
/// listening.
pub async fn start(config: Config) -> Result<Running, SimError> {
    if config.certificate_lifetime.is_zero() {
        return Err(SimError::Config {
            field: "certificate_lifetime",
            rule: "must be positive".to_owned(),
        });
    }
    let store = store::Store::open(&config.data_dir)?;
    let keys = keys::Keys::load(config.cavv_key, &store)?;
    let listener = tokio::net::TcpListener::bind(config.listen).await?;
    let local_addr = listener.local_addr()?;
    let sim = Arc::new(Sim {
        store,
        keys,
        certificate_lifetime: config.certificate_lifetime,
    });
    let (shutdown, rx) = tokio::sync::watch::channel(false);
    let task = tokio::spawn(http::serve(listener, sim, rx));
    tracing::info!(%local_addr, "ISP simulator listening");
    Ok(Running {
        local_addr,
        base_url: format!("http://{local_addr}"),
        shutdown,
        task: Some(task),
    })
}

/// Reads the journal of the simulator whose data directory is `data_dir` (it may be running).
pub fn journal(data_dir: &Path) -> Result<Vec<JournalEntry>, SimError> {
    journal::read(data_dir)
}
