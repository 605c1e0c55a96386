//! The EMV 3-D Secure 2.2.0 simulator (`paygate sim 3ds`): the card schemes' Directory Server
//! and the issuers' ACS behind paygate's 안심클릭 payments, on one HTTP server, exactly as
//! `/work/notes/threeds-contract.md` (and the crate's README) describe:
//!
//! - [`ds`]: `POST /ds/preq` (card ranges), `POST /ds/areq` (validates the AReq, asks the ACS,
//!   answers the ARes or an Erro) and the RReq relay to the 3DS Server;
//! - [`acs`]: the ACS's decision per test card, the password challenge pages
//!   (`POST /acs/challenge` with a CReq, `POST /acs/challenge/submit`), the lockout after five
//!   wrong passwords, the timeout sweep;
//! - [`store`]: state and journal in SQLite; [`journal`] reads it for
//!   `paygate sim 3ds journal`.
//!
//! It shares no code with the gateway's 3DS Server: its messages ([`messages`], [`areq`]) are
//! its own, so a misreading on either side fails against the other instead of passing.

mod acs;
mod areq;
mod cards;
mod cavv;
pub mod cli;
mod ds;
mod erro;
mod fields;
mod http;
pub mod journal;
mod messages;
mod pages;
mod store;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub use journal::JournalEntry;
pub use paygate_sim_kit::SimError;
pub use paygate_sim_kit::http_sim::Running;
pub use store::JOURNAL_FILE;

/// Default time between the ARes C and the first CReq before the challenge is abandoned.
pub const DEFAULT_CREQ_TIMEOUT: Duration = Duration::from_secs(30);
/// Default time a challenge may take from its first CReq.
pub const DEFAULT_CHALLENGE_TIMEOUT: Duration = Duration::from_secs(600);
/// Time the DS waits for the 3DS Server's RRes.
const RREQ_TIMEOUT: Duration = Duration::from_secs(10);

/// How to run the simulator.
#[derive(Clone)]
pub struct Config {
    /// Address to listen on; port 0 picks a free port.
    pub listen: SocketAddr,
    /// Directory of the database (created if missing).
    pub data_dir: PathBuf,
    /// The 32-byte CAVV key shared with the card-network simulator.
    pub cavv_key: [u8; 32],
    /// Base URL the acsURL is built from (`{public_url}/acs/challenge`); default
    /// `http://{bound address}`.
    pub public_url: Option<String>,
    /// Time allowed between the ARes C and the first CReq.
    pub creq_timeout: Duration,
    /// Time allowed for the challenge from its first CReq.
    pub challenge_timeout: Duration,
    /// The clock of timeouts, lockouts and the journal (`--test-clock`: moved over the admin
    /// listener).
    pub clock: paygate_sim_kit::clock::SimClock,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("data_dir", &self.data_dir)
            .field("cavv_key", &"..")
            .field("public_url", &self.public_url)
            .field("creq_timeout", &self.creq_timeout)
            .field("challenge_timeout", &self.challenge_timeout)
            .field("clock", &self.clock)
            .finish()
    }
}

impl Config {
    /// Default timeouts, acsURL on the bound address.
    pub fn new(listen: SocketAddr, data_dir: impl Into<PathBuf>, cavv_key: [u8; 32]) -> Config {
        Config {
            listen,
            data_dir: data_dir.into(),
            cavv_key,
            public_url: None,
            creq_timeout: DEFAULT_CREQ_TIMEOUT,
            challenge_timeout: DEFAULT_CHALLENGE_TIMEOUT,
            clock: paygate_sim_kit::clock::SimClock::system(),
        }
    }
}

/// Everything the handlers share.
pub(crate) struct Sim {
    pub store: store::Store,
    pub keys: cavv::Keys,
    /// Base URL without a trailing slash.
    pub public_url: String,
    pub creq_timeout_ms: i64,
    pub challenge_timeout_ms: i64,
    pub http: reqwest::Client,
    /// CAVV of each running challenge should it succeed, by acsTransID. Memory only: the
    /// PAN is not kept after the AReq, and a CAVV is never written to disk.
    pub pending_cavv: Mutex<HashMap<String, acs::PendingAuth>>,
    /// Faults injected at run time (admin endpoint): late, drop, silent, garbage answers and
    /// ARes declines (`decline_code` `N` or `U`).
    pub faults: Arc<paygate_sim_kit::faults::Faults>,
    /// "Now" of every rule and journal line.
    pub clock: paygate_sim_kit::clock::SimClock,
}

/// The transStatus an injected ARes decline may carry (the first is the default).
pub const DECLINE_CODES: &[&str] = &["N", "U"];

impl Sim {
    /// Milliseconds since the Unix epoch, on the simulator's clock.
    pub(crate) fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// Opens the database, binds the listener, starts serving and the timeout sweep; returns once
/// listening.
pub async fn start(config: Config) -> Result<Running, SimError> {
    let store = store::Store::open(&config.data_dir)?;
    let listener = tokio::net::TcpListener::bind(config.listen).await?;
    let local_addr = listener.local_addr()?;
    let public_url = match &config.public_url {
        Some(u) => u.trim_end_matches('/').to_owned(),
        None => format!("http://{local_addr}"),
    };
    if !public_url.starts_with("http://") && !public_url.starts_with("https://") {
        return Err(SimError::Config {
            field: "public_url",
            rule: "must be an http:// or https:// URL".to_owned(),
        });
    }
    let http = reqwest::Client::builder()
        .timeout(RREQ_TIMEOUT)
        .build()
        .map_err(|e| SimError::Task(format!("HTTP client: {e}")))?;
    let sim = Arc::new(Sim {
        store,
        keys: cavv::Keys::new(config.cavv_key),
        public_url: public_url.clone(),
        creq_timeout_ms: millis(config.creq_timeout),
        challenge_timeout_ms: millis(config.challenge_timeout),
        http,
        pending_cavv: Mutex::new(HashMap::new()),
        faults: paygate_sim_kit::faults::Faults::new(DECLINE_CODES),
        clock: config.clock.clone(),
    });
    let faults = Arc::clone(&sim.faults);
    let router = http::router(Arc::clone(&sim));
    let mut running = paygate_sim_kit::http_sim::serve(
        "3-D Secure",
        listener,
        Some(public_url),
        router,
        faults,
        config.clock,
    )?;
    running.spawn(|rx| acs::sweep::run(sim, rx));
    Ok(running)
}

/// Reads the journal of the simulator whose data directory is `data_dir` (it may be running).
pub fn journal(data_dir: &Path) -> Result<Vec<JournalEntry>, SimError> {
    journal::read(data_dir)
}
