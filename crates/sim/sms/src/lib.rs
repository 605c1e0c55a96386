//! The SMS gateway simulator (`paygate sim sms`): the carrier side of every text message
//! paygate sends (one-time codes of the 간편결제 wallet, later carrier billing).
//!
//! - `POST /v1/messages {"phone","body","sender"}` → 202 `{"id"}` ([`http`]);
//! - `GET /v1/messages?phone=…` → `{"data":[{"id","phone","body","sender","created_ms"}]}`,
//!   newest first — the phone's inbox, which tests (and `GET /v1/test_helpers/sms_messages`
//!   of the gateway) read;
//! - [`store`]: the durable journal in SQLite (`sms-sim.sqlite3`), read by
//!   `paygate sim sms journal` ([`journal`]).
//!
//! The journal holds the message bodies as the phone received them: it *is* the simulated
//! phone, so one-time codes are in it in clear, as on a real handset. The gateway itself never
//! stores a code in clear.

pub mod cli;
mod http;
pub mod journal;
mod store;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

pub use journal::Message;
pub use paygate_sim_kit::SimError;
pub use paygate_sim_kit::http_sim::Running;

/// The code an injected decline (run-time faults, `--admin-listen`) answers a message with.
pub const DECLINE_CODES: &[&str] = &["undeliverable"];
pub use store::JOURNAL_FILE;

/// How to run the simulator.
#[derive(Clone, Debug)]
pub struct Config {
    /// Address to listen on; port 0 picks a free port.
    pub listen: SocketAddr,
    /// Directory of the journal (created if missing).
    pub data_dir: PathBuf,
    /// The clock of the messages' `created_ms` (`--test-clock`: moved over the admin listener).
    pub clock: paygate_sim_kit::clock::SimClock,
}

impl Config {
    /// On the system clock.
    pub fn new(listen: SocketAddr, data_dir: impl Into<PathBuf>) -> Config {
        Config {
            listen,
            data_dir: data_dir.into(),
            clock: paygate_sim_kit::clock::SimClock::system(),
        }
    }
}

/// Opens the journal, binds the listener and starts serving; returns once listening.
pub async fn start(config: Config) -> Result<Running, SimError> {
    let store = std::sync::Arc::new(store::Store::open(&config.data_dir)?);
    let listener = tokio::net::TcpListener::bind(config.listen).await?;
    let faults = paygate_sim_kit::faults::Faults::new(DECLINE_CODES);
    let router = http::router((store, std::sync::Arc::clone(&faults), config.clock.clone()));
    paygate_sim_kit::http_sim::serve("SMS", listener, None, router, faults, config.clock)
}

/// Reads the journal of the simulator whose data directory is `data_dir` (it may be running).
pub fn journal(data_dir: &Path) -> Result<Vec<Message>, SimError> {
    journal::read(data_dir)
}
