//! The bank simulator (`paygate sim bank`): five Korean banks (004 KB국민, 088 신한, 020 우리,
//! 081 하나, 011 NH농협) on one fixed-length telegram link (docs/BANK_TELEGRAMS.md).
//!
//! - [`wire`]: its own reading and writing of the telegrams (on the `paygate-telegram` codec);
//! - [`store`]: virtual accounts, deposits, transfers, test accounts and the journal in
//!   SQLite (`bank-sim.sqlite3`), each decision one transaction;
//! - [`link`]: the TCP sessions of the gateway, the answers, and the deposit notices pushed
//!   and retransmitted until acknowledged;
//! - [`banks`]: the banks and the documented test accounts;
//! - [`orders`], [`transfers`], [`pages`]: 계좌이체 — transfer orders, their telegrams and
//!   the bank's own login and approval pages (`--pages-listen`);
//! - [`cli`]: `paygate sim bank [journal|deposit]`.
//!
//! The payer's deposit comes from the gateway's test helper (telegram 1400), from
//! [`Running::deposit`] in process, or from `paygate sim bank deposit` on the data directory.

pub mod banks;
pub mod cli;
pub mod journal;
pub mod link;
pub mod login;
pub mod orders;
pub mod pages;
pub mod resp;
mod schema;
pub mod store;
pub mod transfers;
pub mod wire;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

pub use journal::JournalLine;
pub use paygate_sim_kit::SimError;
pub use resp::Resp;
pub use store::{JOURNAL_FILE, Notice};

/// "Now" in Unix seconds: the system clock, or a test clock shared with the gateway.
pub type Now = Arc<dyn Fn() -> i64 + Send + Sync>;

/// The system clock.
pub fn system_now() -> Now {
    Arc::new(|| time::OffsetDateTime::now_utc().unix_timestamp())
}

/// The time of a simulator clock: the system's, or the `--test-clock` one (whose offset
/// `paygate serve` shares with its in-process simulators).
pub fn clock_now(clock: paygate_sim_kit::clock::SimClock) -> Now {
    Arc::new(move || clock.now())
}

/// Default interval between retransmissions of an unacknowledged notice.
pub const NOTICE_RETRY_MS_DEFAULT: u64 = 1_000;

/// How to run the simulator.
#[derive(Clone)]
pub struct Config {
    /// Address of the link; port 0 picks a free port.
    pub listen: SocketAddr,
    /// Directory of the journal (created if missing).
    pub data_dir: PathBuf,
    pub now: Now,
    /// Interval between retransmissions of a notice not acknowledged yet.
    pub notice_retry_ms: u64,
    /// Address of the bank's pages (계좌이체 login and approval); without it transfer orders
    /// are refused.
    pub pages_listen: Option<SocketAddr>,
}

/// A running simulator; dropping it stops it.
pub struct Running {
    local_addr: SocketAddr,
    shared: Arc<link::Shared>,
    stop: tokio::sync::watch::Sender<bool>,
}

/// Opens the journal, binds the link's listener and starts serving; returns once listening.
pub async fn start(config: Config) -> Result<Running, SimError> {
    let store = store::Store::open(&config.data_dir)?;
    let listener = tokio::net::TcpListener::bind(config.listen).await?;
    let local_addr = listener.local_addr()?;
    let retry = Duration::from_millis(config.notice_retry_ms.max(1));
    let pages = match config.pages_listen {
        Some(a) => Some(tokio::net::TcpListener::bind(a).await?),
        None => None,
    };
    let pages_url = match &pages {
        Some(l) => Some(format!("http://{}", l.local_addr()?)),
        None => None,
    };
    let shared = Arc::new(link::Shared::new(store, config.now, retry, pages_url));
    let (stop, stop_rx) = tokio::sync::watch::channel(false);
    if let Some(l) = pages {
        let app = pages::router(shared.clone());
        let mut stop_pages = stop_rx.clone();
        tokio::spawn(async move {
            let _ = axum::serve(l, app)
                .with_graceful_shutdown(async move {
                    let _ = stop_pages.changed().await;
                })
                .await;
        });
    }
    tokio::spawn(link::serve(listener, shared.clone(), stop_rx.clone()));
    tokio::spawn(link::pump(shared.clone(), stop_rx));
    Ok(Running {
        local_addr,
        shared,
        stop,
    })
}

impl Running {
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Base URL of the bank's pages, when they are served.
    pub fn pages_url(&self) -> Option<&str> {
        self.shared.pages_url.as_deref()
    }

    /// The payer deposits into a virtual account (as the teller or the payer's app would):
    /// the deposit id, or the bank's refusal.
    pub fn deposit(&self, account_no: &str, amount: i64, depositor: &str) -> Result<Notice, Resp> {
        let now = (self.shared.now)();
        let r = self
            .shared
            .store
            .deposit(account_no, amount, depositor, now)
            .map_err(|_| Resp::FormatError)?;
        if r.is_ok() {
            self.shared.wake.notify_one();
        }
        r
    }

    /// Fault for tests: the next notice is cut after half its bytes and the session closed.
    pub fn cut_next_notice(&self) {
        self.shared
            .cut_next_notice
            .store(true, std::sync::atomic::Ordering::SeqCst);
    }

    /// Fault for tests: sends the (already acknowledged) notice of `deposit_id` again.
    pub fn redeliver(&self, deposit_id: &str) -> Result<(), SimError> {
        self.shared.store.redeliver(deposit_id)?;
        self.shared.wake.notify_one();
        Ok(())
    }

    /// The balance of a test account.
    pub fn balance(&self, bank: &str, account_no: &str) -> Result<Option<i64>, SimError> {
        Ok(self.shared.store.balance(bank, account_no)?)
    }

    /// Stops serving.
    pub fn shutdown(self) {
        let _ = self.stop.send(true);
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// Reads the journal of the simulator whose data directory is `data_dir` (it may be running).
pub fn journal(data_dir: &Path) -> Result<Vec<JournalLine>, SimError> {
    journal::read(data_dir)
}
