//! What every paygate counterparty simulator needs, so that a new simulator (a bank host, a
//! carrier-billing gateway, a wallet) is its parser, its rules and its tables — nothing else:
//!
//! - [`frame`]: 2-byte big-endian length framing, written apart from the gateway's own
//!   (`paygate_network::frame`) so that a framing bug on one side shows up against the other;
//! - [`writer`]: the one thread that decides and persists, applying a batch of requests in one
//!   SQLite transaction (group commit) before any of their answers is released;
//! - [`server`]: accept loop and per-connection tasks with connection and in-flight limits;
//! - [`data_dir`]: the journal database in a data directory (writer and reader connections);
//! - [`key_file`]: secret keys from hex files (the CAVV key);
//! - [`cli`]: `listening on ADDR`, signals, `journal --json` output;
//! - [`clock`]: the simulator's [`clock::SimClock`] (system, or `--test-clock`: an offset that
//!   only grows, moved over the admin listener's `/clock` routes);
//! - [`http_sim`]: serving an HTTP JSON simulator's router with the faults, its background
//!   tasks and its [`http_sim::Running`] handle;
//! - [`faults`]: faults injected at run time (late, drop, decline, silent, garbage), set over
//!   the HTTP admin listener ([`SimHandle::serve_admin`]).
//!
//! A simulator implements [`Codec`] (frames ↔ requests and answers, on the connection tasks)
//! and [`Counterparty`] (its decisions, on the writer thread) and calls [`start`].

pub mod cli;
pub mod clock;
pub mod data_dir;
pub mod faults;
pub mod frame;
pub mod http_sim;
pub mod key_file;
pub mod server;
pub mod writer;

use std::net::SocketAddr;
use std::path::PathBuf;

use rusqlite::Connection;
use tokio::sync::watch;

/// Most simultaneous client connections; further clients wait in the listen backlog.
pub const MAX_CONNECTIONS: usize = 256;
/// Most requests of one connection awaiting answers before the simulator stops reading it.
pub const MAX_IN_FLIGHT_PER_CONNECTION: usize = 4096;
/// Capacity of the queue from the connections to the writer thread, in requests.
pub const JOB_QUEUE_CAPACITY: usize = 8192;
/// Most requests applied in one SQLite transaction.
pub const MAX_BATCH_REQUESTS: usize = 1024;

/// Turns frames into requests and answers into frame bodies; runs on the connection tasks.
pub trait Codec: Send + Sync + 'static {
    /// A request as the writer thread receives it.
    type Request: Send + 'static;
    /// An answer as the writer thread produces it.
    type Answer: Send + 'static;

    /// The request in one frame body; `None` closes the connection (the stream cannot be
    /// trusted any more).
    fn decode(&self, frame: &[u8]) -> Option<Self::Request>;

    /// The frame body of an answer; an error is logged and the answer is not sent.
    fn encode(&self, answer: &Self::Answer) -> Result<Vec<u8>, String>;
}

/// A simulator's decisions; runs on the writer thread only, inside the batch's transaction.
pub trait Counterparty: Send + 'static {
    /// A request, as [`Codec::decode`] made it.
    type Request: Send + 'static;
    /// An answer, for [`Codec::encode`].
    type Answer: Send + 'static;

    /// Called once before each batch (e.g. to read the clock once per batch).
    fn begin_batch(&mut self) {}

    /// Decides and records one request inside its own savepoint; `None` sends nothing back.
    /// An `Err` rolls the request's effects back and answers [`Counterparty::failure`].
    fn apply(
        &mut self,
        db: &Connection,
        request: &Self::Request,
    ) -> rusqlite::Result<Option<Self::Answer>>;

    /// The answer to a request whose effects were rolled back.
    fn failure(&self, request: &Self::Request) -> Option<Self::Answer>;

    /// Called inside the batch's transaction after its last request, before the commit.
    fn end_batch(&mut self, _db: &Connection) -> rusqlite::Result<()> {
        Ok(())
    }

    /// Called after a failed commit: in-memory state must be reloaded from `db`.
    fn commit_failed(&mut self, _db: &Connection) {}
}

/// Errors of a simulator.
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
    faults: std::sync::Arc<faults::Faults>,
    clock: clock::SimClock,
    shutdown: watch::Sender<bool>,
    server: Option<tokio::task::JoinHandle<()>>,
    writer: Option<std::thread::JoinHandle<()>>,
}

impl SimHandle {
    /// The address the simulator listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The faults this simulator injects (set them here or over [`SimHandle::serve_admin`]).
    pub fn faults(&self) -> &std::sync::Arc<faults::Faults> {
        &self.faults
    }

    /// The clock the simulator decides with.
    pub fn clock(&self) -> &clock::SimClock {
        &self.clock
    }

    /// Serves the HTTP admin endpoint (`GET`/`POST /faults`, `GET /clock`,
    /// `POST /clock/advance`) on `listen` until the simulator stops; returns the bound address.
    pub async fn serve_admin(&self, listen: SocketAddr) -> Result<SocketAddr, SimError> {
        let listener = tokio::net::TcpListener::bind(listen).await?;
        let addr = listener.local_addr()?;
        tokio::spawn(faults::serve_admin(
            listener,
            std::sync::Arc::clone(&self.faults),
            self.clock.clone(),
            self.shutdown.subscribe(),
        ));
        tracing::info!(%addr, "simulator admin listening");
        Ok(addr)
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

/// Binds `listen`, starts the writer thread on `db` with `counterparty`, serves `codec` on
/// every connection with `faults` applied to its answers; returns once listening. `name`
/// names the thread and the log lines; `clock` is the one `counterparty` decides with (the
/// admin listener moves it when it is a test clock).
pub async fn start<C, P>(
    name: &'static str,
    listen: SocketAddr,
    db: Connection,
    counterparty: P,
    codec: C,
    faults: std::sync::Arc<faults::Faults>,
    clock: clock::SimClock,
) -> Result<SimHandle, SimError>
where
    C: Codec,
    P: Counterparty<Request = C::Request, Answer = C::Answer>,
{
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let local_addr = listener.local_addr()?;
    let (jobs_tx, jobs_rx) = tokio::sync::mpsc::channel(JOB_QUEUE_CAPACITY);
    let writer = writer::Writer::new(db, counterparty);
    let writer = std::thread::Builder::new()
        .name(format!("{name}-journal"))
        .spawn(move || writer.run(jobs_rx))?;
    let (shutdown, shutdown_rx) = watch::channel(false);
    let server = tokio::spawn(server::serve(
        listener,
        jobs_tx,
        codec,
        std::sync::Arc::clone(&faults),
        shutdown_rx,
    ));
    tracing::info!(%local_addr, simulator = name, "simulator listening");
    Ok(SimHandle {
        local_addr,
        faults,
        clock,
        shutdown,
        server: Some(server),
        writer: Some(writer),
    })
}
