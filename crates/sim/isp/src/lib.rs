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
pub use paygate_sim_kit::http_sim::Running;

/// The refusals an injected decline (run-time faults, `--admin-listen`) may answer a
/// verification with (the first is the default).
pub const DECLINE_CODES: &[&str] = &["isp_signature_invalid", "isp_certificate_revoked"];
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
    /// The clock of the journal and of the card-expiry month at enrolment (`--test-clock`:
    /// moved over the admin listener). Certificate validity and the freshness of a payer's
    /// `signed_at` stay on the system time: the payer's device clock is not a test clock.
    pub clock: paygate_sim_kit::clock::SimClock,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("data_dir", &self.data_dir)
            .field("cavv_key", &"..")
            .field("certificate_lifetime", &self.certificate_lifetime)
            .field("clock", &self.clock)
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
            clock: paygate_sim_kit::clock::SimClock::system(),
        }
    }
}

/// Everything the handlers share.
pub(crate) struct Sim {
    pub store: store::Store,
    pub keys: keys::Keys,
    pub certificate_lifetime: Duration,
    /// Faults injected at run time; an injected decline refuses a verification that passed
    /// its checks with one of [`DECLINE_CODES`] (journaled like a real refusal).
    pub faults: Arc<paygate_sim_kit::faults::Faults>,
    /// "Now" of the journal and the enrolment rules.
    pub clock: paygate_sim_kit::clock::SimClock,
}

impl Sim {
    /// Milliseconds since the Unix epoch, on the simulator's clock.
    pub(crate) fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    /// The card-expiry month (YYMM) on the simulator's clock.
    pub(crate) fn clock_yymm(&self) -> u16 {
        paygate_sim_network::wire::yymm_at(self.clock.now())
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
    let faults = paygate_sim_kit::faults::Faults::new(DECLINE_CODES);
    let sim = Arc::new(Sim {
        store,
        keys,
        certificate_lifetime: config.certificate_lifetime,
        faults: Arc::clone(&faults),
        clock: config.clock.clone(),
    });
    let router = http::router(sim);
    paygate_sim_kit::http_sim::serve("ISP", listener, None, router, faults, config.clock)
}

/// Reads the journal of the simulator whose data directory is `data_dir` (it may be running).
pub fn journal(data_dir: &Path) -> Result<Vec<JournalEntry>, SimError> {
    journal::read(data_dir)
}
