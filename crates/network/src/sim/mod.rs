//! The card-network simulator (`paygate sim network`): a real counterparty on a TCP socket that
//! answers authorizations, purchases, captures, refunds, reversals and echoes by test card, keeps
//! per-card open-to-buy balances, and journals every request and its effect in SQLite.
//!
//! Shape (see `docs/iso8583.md`):
//! - each connection is a tokio task that only frames, decodes and encodes; it stops reading
//!   when [`MAX_IN_FLIGHT_PER_CONNECTION`] requests await answers (backpressure);
//! - one writer thread (`engine`) decides and persists: it drains a bounded queue, applies a
//!   batch of requests sequentially in one SQLite transaction (group commit), and only after the
//!   commit are the answers released — so an answer is never sent for an effect that could be
//!   lost by a crash of the simulator process;
//! - shutdown stops accepting, lets every connection flush the answers it owes, then stops the
//!   writer after its last batch.

mod cmd;
mod decide;
mod engine;
pub mod journal;
mod salvage;
mod server;
mod store;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use paygate_iso8583::Profile;
use tokio::sync::watch;

pub use decide::{ISSUER_UNAVAILABLE_CARD, NO_ANSWER_CARD, TEST_CARDS, TestCard};
pub use journal::{AuthorizationEntry, FollowUpEntry, JournalEntry, MessageEntry};

/// Default open-to-buy of every card account, in minor units (10^15: benchmarks never exhaust it).
pub const DEFAULT_OPEN_TO_BUY_MINOR: i64 = 1_000_000_000_000_000;
/// Most simultaneous client connections; further clients wait in the listen backlog.
pub const MAX_CONNECTIONS: usize = 256;
/// Most requests of one connection awaiting answers before the simulator stops reading it.
pub const MAX_IN_FLIGHT_PER_CONNECTION: usize = 4096;
/// Capacity of the queue from the connections to the writer thread, in requests.
pub const JOB_QUEUE_CAPACITY: usize = 8192;
/// Most requests applied in one SQLite transaction.
pub const MAX_BATCH_REQUESTS: usize = 1024;
/// File name of the journal database inside the data directory.
pub const JOURNAL_FILE: &str = "network-sim.sqlite3";

/// How to run the simulator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimConfig {
    /// Address to listen on; port 0 picks a free port (see [`SimHandle::local_addr`]).
    pub listen: SocketAddr,
    /// Directory of the journal database (created if missing).
    pub data_dir: PathBuf,
    /// Wire profile.
    pub profile: Profile,
    /// Open-to-buy of a card account when it is first used, in minor units.
    pub open_to_buy_minor: i64,
}

impl SimConfig {
    /// ASCII profile and [`DEFAULT_OPEN_TO_BUY_MINOR`].
    pub fn new(listen: SocketAddr, data_dir: impl Into<PathBuf>) -> Self {
        SimConfig {
            listen,
            data_dir: data_dir.into(),
            profile: Profile::Ascii,
            open_to_buy_minor: DEFAULT_OPEN_TO_BUY_MINOR,
        }
    }
}

/// Errors of the simulator.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// Socket or file-system failure.
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
    /// The journal database failed.
    #[error("journal database error: {0}")]
    Db(#[from] rusqlite::Error),
    /// The data directory holds no journal.
    #[error("no simulator journal at {}", path.display())]
    NoJournal {
        /// The path looked at.
        path: PathBuf,
    },
    /// A configuration value breaks a rule.
    #[error("invalid simulator config: {field}: {rule}")]
    Config {
        /// The offending field.
        field: &'static str,
        /// The rule it broke.
        rule: String,
    },
    /// A background task or thread ended abnormally.
    #[error("simulator task failed: {0}")]
    Task(String),
}

/// A running simulator. Dropping it asks it to stop; [`SimHandle::shutdown`] also waits.
#[derive(Debug)]
pub struct SimHandle {
    local_addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    server: Option<tokio::task::JoinHandle<()>>,
    writer: Option<std::thread::JoinHandle<()>>,
}

impl SimHandle {
    /// The address the simulator listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Stops accepting, lets connections flush the answers they owe, waits for the writer's
    /// last commit.
    pub async fn shutdown(mut self) -> Result<(), SimError> {
        self.shutdown.send_replace(true);
        if let Some(server) = self.server.take() {
            server.await.map_err(|e| SimError::Task(e.to_string()))?;
        }
        if let Some(writer) = self.writer.take() {
            tokio::task::spawn_blocking(move || writer.join())
                .await
                .map_err(|e| SimError::Task(e.to_string()))?
                .map_err(|_| SimError::Task("journal writer thread panicked".to_owned()))?;
        }
        Ok(())
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        self.shutdown.send_replace(true);
    }
}

/// Opens the journal, binds the listener and starts serving; returns once listening.
pub async fn start(cfg: SimConfig) -> Result<SimHandle, SimError> {
    if cfg.open_to_buy_minor < 0 {
        return Err(SimError::Config {
            field: "open_to_buy_minor",
            rule: "must not be negative".to_owned(),
        });
    }
    let engine = engine::Engine::open(&cfg.data_dir, cfg.open_to_buy_minor)?;
    let listener = tokio::net::TcpListener::bind(cfg.listen).await?;
    let local_addr = listener.local_addr()?;
    let (jobs_tx, jobs_rx) = tokio::sync::mpsc::channel(JOB_QUEUE_CAPACITY);
    let writer = std::thread::Builder::new()
        .name("sim-journal".to_owned())
        .spawn(move || engine.run(jobs_rx))?;
    let (shutdown, shutdown_rx) = watch::channel(false);
    let server = tokio::spawn(server::serve(listener, jobs_tx, cfg.profile, shutdown_rx));
    tracing::info!(%local_addr, profile = %cfg.profile, "network simulator listening");
    Ok(SimHandle {
        local_addr,
        shutdown,
        server: Some(server),
        writer: Some(writer),
    })
}

/// Reads the journal of the simulator whose data directory is `data_dir` (it may be running).
pub fn journal(data_dir: &Path) -> Result<Vec<JournalEntry>, SimError> {
    journal::read(data_dir)
}
