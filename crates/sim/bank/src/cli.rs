//! `paygate sim bank` command-line glue; the `paygate` binary mounts [`SimBankArgs`].
//!
//! ```text
//! paygate sim bank --listen 127.0.0.1:7700 --data-dir DIR [--notice-retry-ms 1000]
//!                  [--pages-listen ADDR] [--admin-listen ADDR --test-clock]
//! paygate sim bank journal --data-dir DIR [--json]
//! paygate sim bank deposit --data-dir DIR --account N --amount A --depositor NAME
//! ```

use std::net::SocketAddr;
use std::path::PathBuf;

use paygate_sim_kit::cli as kit;
use paygate_sim_kit::http_sim::required;

use crate::{Config, JournalLine, SimError};

/// Arguments of `paygate sim bank`.
#[derive(clap::Args, Debug, Clone, PartialEq, Eq)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct SimBankArgs {
    #[command(subcommand)]
    pub command: Option<SimBankCommand>,
    /// Address of the telegram link (port 0 picks a free port; the address is printed).
    #[arg(long, required = true, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    /// Directory of the simulator's journal (created if missing).
    #[arg(long, required = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Interval between retransmissions of an unacknowledged deposit notice.
    #[arg(long, default_value_t = crate::NOTICE_RETRY_MS_DEFAULT)]
    pub notice_retry_ms: u64,
    /// HTTP admin listener of the clock (`GET /clock`, `POST /clock/advance` with
    /// `--test-clock`; docs/OPERATIONS.md "Test clock").
    #[arg(long, value_name = "ADDR")]
    pub admin_listen: Option<SocketAddr>,
    #[command(flatten)]
    pub clock: paygate_sim_kit::clock::ClockArgs,
    /// Address of the bank's own pages (계좌이체 login and approval; port 0 picks a free
    /// port; `pages on URL` is printed). Without it transfer orders are refused.
    #[arg(long, value_name = "ADDR")]
    pub pages_listen: Option<SocketAddr>,
}

/// Subcommands of `paygate sim bank`.
#[derive(clap::Subcommand, Debug, Clone, PartialEq, Eq)]
pub enum SimBankCommand {
    /// Print the journal: every decision, oldest first.
    Journal(JournalArgs),
    /// The payer deposits into a virtual account; the running simulator sends the notice.
    Deposit(DepositArgs),
}

/// Arguments of `paygate sim bank journal`.
#[derive(clap::Args, Debug, Clone, PartialEq, Eq)]
pub struct JournalArgs {
    #[arg(long, value_name = "DIR")]
    pub data_dir: PathBuf,
    /// Print a JSON array instead of one line per decision.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `paygate sim bank deposit`.
#[derive(clap::Args, Debug, Clone, PartialEq, Eq)]
pub struct DepositArgs {
    #[arg(long, value_name = "DIR")]
    pub data_dir: PathBuf,
    /// The virtual account number.
    #[arg(long)]
    pub account: String,
    /// KRW.
    #[arg(long)]
    pub amount: i64,
    #[arg(long)]
    pub depositor: String,
}

/// Runs `paygate sim bank` (prints `listening on ADDR` once ready) or its subcommand.
pub async fn run(args: SimBankArgs) -> Result<(), SimError> {
    match args.command {
        Some(SimBankCommand::Journal(j)) => {
            let lines = crate::journal(&j.data_dir)?;
            kit::print_records(j.json, &lines, line)
        }
        Some(SimBankCommand::Deposit(d)) => deposit(d),
        None => serve(args).await,
    }
}

fn deposit(d: DepositArgs) -> Result<(), SimError> {
    let store = crate::store::Store::open(&d.data_dir)?;
    let now = (crate::system_now())();
    match store.deposit(&d.account, d.amount, &d.depositor, now)? {
        Ok(n) => kit::print_lines([format!(
            "deposit {} remaining {}",
            n.deposit_id, n.remaining
        )]),
        Err(r) => Err(SimError::Config {
            field: "deposit",
            rule: format!("refused by the bank: {} ({r:?})", r.code()),
        }),
    }
}

async fn serve(args: SimBankArgs) -> Result<(), SimError> {
    let clock = args.clock.clock();
    let cfg = Config {
        listen: required(args.listen, "--listen")?,
        data_dir: required(args.data_dir, "--data-dir")?,
        now: crate::clock_now(clock.clone()),
        notice_retry_ms: args.notice_retry_ms,
        pages_listen: args.pages_listen,
    };
    let running = crate::start(cfg).await?;
    if let Some(url) = running.pages_url() {
        kit::print_lines([format!("pages on {url}")])?;
    }
    kit::print_listening(running.local_addr())?;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    if let Some(admin) = args.admin_listen {
        let addr = paygate_sim_kit::clock::serve_clock_admin(admin, clock, stopped).await?;
        println!("admin listening on {addr}");
    }
    kit::wait_for_signal().await?;
    let _ = stop.send(true);
    running.shutdown();
    Ok(())
}

/// One journal line: `seq at event bank account amount reference resp`.
fn line(l: &JournalLine) -> String {
    format!(
        "{} {} {} {} {} {} {} {}",
        l.seq, l.at, l.event, l.bank, l.account_no, l.amount, l.reference, l.resp
    )
}
