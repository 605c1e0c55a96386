//! The card-network simulator (`paygate sim network`): a real counterparty on a TCP socket that
//! answers authorizations, purchases, captures, refunds, reversals and echoes by test card,
//! verifies 3-D Secure CAVVs ([`authentication`]), acts as the token service of wallet device
//! tokens ([`token_service`]), keeps
//! per-card open-to-buy balances, journals every request and its effect in SQLite, and produces
//! the acquirer report the gateway reconciles against (`paygate sim network report`).
//!
//! It shares the ISO 8583 codec with the gateway (`paygate_iso8583`, the wire format library)
//! and nothing else: its fields are read by its own [`wire`] module, its framing, writer thread
//! and server come from `paygate_sim_kit`. Shape (see `docs/iso8583.md`):
//! - each connection is a tokio task that only frames, decodes and encodes (`codec`);
//! - one writer thread decides and persists (`engine`, on the kit's group-committing writer):
//!   only after a batch's commit are its answers released;
//! - shutdown stops accepting, lets every connection flush the answers it owes, then stops the
//!   writer after its last batch.

pub mod authentication;
pub mod card_present;
pub mod clearing;
pub mod cli;
mod cmd;
mod codec;
mod decide;
mod engine;
pub mod journal;
pub mod report;
mod salvage;
mod schema;
mod store;
pub mod token_service;
pub mod wire;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use paygate_iso8583::Profile;

pub use authentication::{Authentication, CavvKey, Program as AuthenticationProgram};
pub use decide::{Behaviour, ISSUER_UNAVAILABLE_CARD, NO_ANSWER_CARD, TEST_CARDS, TestCard};
pub use journal::{
    AuthorizationEntry, CardPresentEntry, FollowUpEntry, JournalEntry, MessageEntry, WalletEntry,
};
pub use paygate_sim_kit::{
    JOB_QUEUE_CAPACITY, MAX_BATCH_REQUESTS, MAX_CONNECTIONS, MAX_IN_FLIGHT_PER_CONNECTION,
    SimError, SimHandle,
};
pub use report::{ReportKind, ReportRecord};
pub use token_service::{CryptogramCheck, TOKEN_RANGES, TokenRange};

/// Default open-to-buy of every card account, in minor units (10^15: benchmarks never exhaust it).
pub const DEFAULT_OPEN_TO_BUY_MINOR: i64 = 1_000_000_000_000_000;
/// The response codes an injected decline may carry (`decline_code` of the faults; the first
/// is the default): do not honour, insufficient funds, expired card, issuer unavailable,
/// system malfunction.
pub const DECLINE_CODES: &[&str] = &["05", "51", "54", "91", "96"];
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
    /// The CAVV key shared with the 3-D Secure simulator; without one, every 3-D Secure
    /// authorization (ECI 05/06/02/01) is declined 05 with authentication "failed".
    pub cavv_key: Option<CavvKey>,
    /// The clock the rules read (journal times, the expiry month); a test clock is moved over
    /// the admin listener (`--test-clock`).
    pub clock: paygate_sim_kit::clock::SimClock,
}

impl SimConfig {
    /// ASCII profile and [`DEFAULT_OPEN_TO_BUY_MINOR`].
    pub fn new(listen: SocketAddr, data_dir: impl Into<PathBuf>) -> Self {
        SimConfig {
            listen,
            data_dir: data_dir.into(),
            profile: Profile::Ascii,
            open_to_buy_minor: DEFAULT_OPEN_TO_BUY_MINOR,
            cavv_key: None,
            clock: paygate_sim_kit::clock::SimClock::system(),
        }
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
    let faults = paygate_sim_kit::faults::Faults::new(DECLINE_CODES);
    let (conn, engine) = engine::Engine::open(
        &cfg.data_dir,
        cfg.open_to_buy_minor,
        cfg.cavv_key,
        std::sync::Arc::clone(&faults),
        cfg.clock.clone(),
    )?;
    let codec = codec::IsoCodec::new(cfg.profile);
    paygate_sim_kit::start(
        "network-sim",
        cfg.listen,
        conn,
        engine,
        codec,
        faults,
        cfg.clock,
    )
    .await
}

/// Reads the journal of the simulator whose data directory is `data_dir` (it may be running).
pub fn journal(data_dir: &Path) -> Result<Vec<JournalEntry>, SimError> {
    journal::read(data_dir)
}

/// The acquirer report of the simulator whose data directory is `data_dir`: one record per
/// approved or declined authorization, purchase, capture, refund and reversal, in arrival
/// order (the format of `docs/iso8583.md`, "Acquirer report").
pub fn report(data_dir: &Path) -> Result<Vec<ReportRecord>, SimError> {
    report::read(data_dir)
}

/// The clearing file of one UTC day (docs/CLEARING.md) of the simulator whose data directory
/// is `data_dir`.
pub fn clearing_file(data_dir: &Path, day: time::Date) -> Result<String, SimError> {
    clearing::file(data_dir, day)
}
