//! The mobile carrier simulator (`paygate sim carrier`, 휴대폰 소액결제): the carrier side of
//! carrier billing, HTTP JSON ([`http`]).
//!
//! - its subscribers ([`subscribers`]: the documented test numbers, carriers, birth dates,
//!   monthly limits) and rules ([`rules`]: subscriber, minors, the monthly limit across
//!   merchants in the KST calendar month, the 6-digit code it generates and sends through the
//!   SMS gateway simulator — 3 minutes, 5 wrong, 3 resends —, the charge to this month's bill,
//!   cancellation in full and in the same KST month only);
//! - its durable state and journal in SQLite ([`store`]: phone numbers keyed and masked,
//!   codes hashed), read by `paygate sim carrier journal`;
//! - the monthly settlement file per merchant ([`settlement`]).

pub mod cli;
mod http;
pub mod rules;
pub mod settlement;
pub mod store;
pub mod subscribers;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use paygate_sim_kit::SimError;
use paygate_sim_kit::clock::SimClock;
pub use paygate_sim_kit::http_sim::Running;
pub use store::{Entry, JOURNAL_FILE};

/// The code an injected decline (run-time faults, `--admin-listen`) answers with.
pub const DECLINE_CODES: &[&str] = &["carrier_unavailable"];

/// How to run the simulator.
#[derive(Clone)]
pub struct Config {
    /// Address to listen on; port 0 picks a free port.
    pub listen: SocketAddr,
    /// Directory of the state and journal (created if missing).
    pub data_dir: PathBuf,
    /// The SMS gateway the codes go through (`http://host:port`).
    pub sms_url: Option<String>,
    /// The carrier's clock (code expiry, the KST billing month). `paygate serve` hands its
    /// in-process simulator a view of the gateway's test clock; `--test-clock` gives a
    /// standalone simulator one moved over its admin listener (`POST /clock/advance`).
    pub clock: SimClock,
}

impl Config {
    /// On the system clock, with no SMS gateway.
    pub fn new(listen: SocketAddr, data_dir: impl Into<PathBuf>) -> Config {
        Config {
            listen,
            data_dir: data_dir.into(),
            sms_url: None,
            clock: SimClock::system(),
        }
    }
}

/// Opens the database, binds the listener and starts serving; returns once listening.
pub async fn start(config: Config) -> Result<Running, SimError> {
    let store = Arc::new(store::Store::open(&config.data_dir)?);
    let listener = tokio::net::TcpListener::bind(config.listen).await?;
    let faults = paygate_sim_kit::faults::Faults::new(DECLINE_CODES);
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(5))
        .build()
        .map_err(|e| SimError::Config {
            field: "sms_url",
            rule: e.to_string(),
        })?;
    let shared = Arc::new(http::Shared {
        store,
        faults: Arc::clone(&faults),
        sms_url: config.sms_url.map(|u| u.trim_end_matches('/').to_owned()),
        client,
        clock: config.clock.clone(),
    });
    let router = http::router(shared);
    paygate_sim_kit::http_sim::serve("carrier", listener, None, router, faults, config.clock)
}

/// Reads the journal of the simulator whose data directory is `data_dir` (it may be running).
pub fn journal(data_dir: &Path) -> Result<Vec<Entry>, SimError> {
    let conn = paygate_sim_kit::data_dir::open_reader(data_dir, JOURNAL_FILE)?;
    Ok(store::read_journal(&conn)?)
}

/// The settlement file of `merchant` for `month` (`YYYY-MM`) from the data directory.
pub fn settlement_file(data_dir: &Path, merchant: &str, month: &str) -> Result<String, SimError> {
    if !settlement::valid_month(month) {
        return Err(SimError::Config {
            field: "--month",
            rule: "must be YYYY-MM".into(),
        });
    }
    let conn = paygate_sim_kit::data_dir::open_reader(data_dir, JOURNAL_FILE)?;
    let rows = store::of_month(&conn, merchant, month)?;
    Ok(settlement::file(merchant, month, &rows))
}
