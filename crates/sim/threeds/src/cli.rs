//! `paygate sim 3ds` command-line glue; the `paygate` binary mounts [`SimThreeDsArgs`].
//!
//! ```text
//! paygate sim 3ds --listen 127.0.0.1:7400 --data-dir DIR --cavv-key-file PATH
//!                 [--public-url URL] [--creq-timeout-secs N] [--challenge-timeout-secs N]
//! paygate sim 3ds journal --data-dir DIR [--json]
//! ```

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use paygate_sim_kit::cli as kit;
use paygate_sim_kit::http_sim::{required, run_until_signal};

use crate::{Config, JournalEntry, SimError};

/// Arguments of `paygate sim 3ds`.
#[derive(clap::Args, Debug, Clone, PartialEq, Eq)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct SimThreeDsArgs {
    /// Subcommand; without one, the simulator runs until SIGINT/SIGTERM.
    #[command(subcommand)]
    pub command: Option<SimThreeDsCommand>,
    /// Address to listen on (port 0 picks a free port; the chosen address is printed).
    #[arg(long, required = true, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    /// Directory of the simulator's database and journal (created if missing).
    #[arg(long, required = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// File holding the CAVV key (64 hex digits), the same file the card-network simulator
    /// is given, so that it can verify the CAVVs this ACS issues.
    #[arg(long, required = true, value_name = "PATH")]
    pub cavv_key_file: Option<PathBuf>,
    /// Base URL the acsURL is built from (default http://LISTEN-ADDR).
    #[arg(long, value_name = "URL")]
    pub public_url: Option<String>,
    /// Seconds between the ARes and the first CReq before a challenge is abandoned
    /// (challengeCancel 05).
    #[arg(long, default_value_t = 30, value_name = "N")]
    pub creq_timeout_secs: u64,
    /// Seconds a challenge may take from its first CReq (challengeCancel 04).
    #[arg(long, default_value_t = 600, value_name = "N")]
    pub challenge_timeout_secs: u64,
    /// HTTP admin listener for faults at run time (`GET`/`POST /faults`, docs/OPERATIONS.md);
    /// prints `admin listening on ADDR`. Off without it.
    #[arg(long, value_name = "ADDR")]
    pub admin_listen: Option<SocketAddr>,
    #[command(flatten)]
    pub clock: paygate_sim_kit::clock::ClockArgs,
}

/// Subcommands of `paygate sim 3ds`.
#[derive(clap::Subcommand, Debug, Clone, PartialEq, Eq)]
pub enum SimThreeDsCommand {
    /// Print the journal: one entry per transaction, with its current state.
    Journal(JournalArgs),
}

/// Arguments of `paygate sim 3ds journal`.
#[derive(clap::Args, Debug, Clone, PartialEq, Eq)]
pub struct JournalArgs {
    /// Data directory of the simulator.
    #[arg(long, value_name = "DIR")]
    pub data_dir: PathBuf,
    /// Print a JSON array instead of one line per entry.
    #[arg(long)]
    pub json: bool,
}

/// Runs `paygate sim 3ds` (prints `listening on ADDR` once ready) or its subcommand.
pub async fn run(args: SimThreeDsArgs) -> Result<(), SimError> {
    match args.command {
        Some(SimThreeDsCommand::Journal(j)) => print_journal(&j),
        None => serve(args).await,
    }
}

async fn serve(args: SimThreeDsArgs) -> Result<(), SimError> {
    let key_file = required(args.cavv_key_file, "--cavv-key-file")?;
    let cavv_key = paygate_sim_kit::key_file::read_key32(&key_file, "--cavv-key-file")?;
    let mut cfg = Config::new(
        required(args.listen, "--listen")?,
        required(args.data_dir, "--data-dir")?,
        cavv_key,
    );
    cfg.public_url = args.public_url;
    cfg.creq_timeout = Duration::from_secs(args.creq_timeout_secs);
    cfg.challenge_timeout = Duration::from_secs(args.challenge_timeout_secs);
    cfg.clock = args.clock.clock();
    run_until_signal(crate::start(cfg).await?, args.admin_listen).await
}

fn print_journal(args: &JournalArgs) -> Result<(), SimError> {
    let entries = crate::journal(&args.data_dir)?;
    kit::print_records(args.json, &entries, line)
}

/// One human-readable line per entry.
fn line(e: &JournalEntry) -> String {
    let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".to_owned());
    format!(
        "{} acs={} ds={} card=••••{} amount={} {} flow={} state={} status={} eci={} interactions={} cancel={} rreq={}",
        e.created_at_ms,
        e.acs_trans_id,
        e.ds_trans_id,
        e.last4,
        e.amount,
        e.currency,
        e.flow,
        e.state,
        opt(&e.trans_status),
        opt(&e.eci),
        e.interactions,
        opt(&e.challenge_cancel),
        opt(&e.rreq_delivery)
    )
}
