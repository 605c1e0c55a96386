//! `paygate sim isp` command-line glue; the `paygate` binary mounts [`SimIspArgs`].
//!
//! ```text
//! paygate sim isp --listen 127.0.0.1:7500 --data-dir DIR --cavv-key-file PATH
//!                 [--certificate-lifetime-secs N] [--admin-listen ADDR]
//! paygate sim isp journal --data-dir DIR [--json]
//! ```

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use paygate_sim_kit::cli as kit;
use paygate_sim_kit::http_sim::{required, run_until_signal};

use crate::{Config, JournalEntry, SimError};

/// Arguments of `paygate sim isp`.
#[derive(clap::Args, Debug, Clone, PartialEq, Eq)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct SimIspArgs {
    /// Subcommand; without one, the simulator runs until SIGINT/SIGTERM.
    #[command(subcommand)]
    pub command: Option<SimIspCommand>,
    /// Address to listen on (port 0 picks a free port; the chosen address is printed).
    #[arg(long, required = true, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    /// Directory of the simulator's database and journal (created if missing).
    #[arg(long, required = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// File holding the CAVV key (64 hex digits), the same file the card-network simulator
    /// is given, so that it can verify the authentication values this server issues. The
    /// server's CA and encryption keys are derived from it.
    #[arg(long, required = true, value_name = "PATH")]
    pub cavv_key_file: Option<PathBuf>,
    /// Lifetime of issued cardholder certificates, in seconds (default one year).
    #[arg(long, default_value_t = 365 * 24 * 3600, value_name = "N")]
    pub certificate_lifetime_secs: u64,
    /// HTTP admin listener for faults at run time (`GET`/`POST /faults`, docs/OPERATIONS.md):
    /// an injected decline refuses verifications with `isp_signature_invalid` (or the
    /// `decline_code` given, `isp_certificate_revoked`); prints `admin listening on ADDR`.
    #[arg(long, value_name = "ADDR")]
    pub admin_listen: Option<SocketAddr>,
    #[command(flatten)]
    pub clock: paygate_sim_kit::clock::ClockArgs,
}

/// Subcommands of `paygate sim isp`.
#[derive(clap::Subcommand, Debug, Clone, PartialEq, Eq)]
pub enum SimIspCommand {
    /// Print the journal: one entry per enroll, verify and revoke.
    Journal(JournalArgs),
}

/// Arguments of `paygate sim isp journal`.
#[derive(clap::Args, Debug, Clone, PartialEq, Eq)]
pub struct JournalArgs {
    /// Data directory of the simulator.
    #[arg(long, value_name = "DIR")]
    pub data_dir: PathBuf,
    /// Print a JSON array instead of one line per entry.
    #[arg(long)]
    pub json: bool,
}

/// Runs `paygate sim isp` (prints `listening on ADDR` once ready) or its subcommand.
pub async fn run(args: SimIspArgs) -> Result<(), SimError> {
    match args.command {
        Some(SimIspCommand::Journal(j)) => {
            let entries = crate::journal(&j.data_dir)?;
            kit::print_records(j.json, &entries, line)
        }
        None => serve(args).await,
    }
}

async fn serve(args: SimIspArgs) -> Result<(), SimError> {
    let key_file = required(args.cavv_key_file, "--cavv-key-file")?;
    let cavv_key = paygate_sim_kit::key_file::read_key32(&key_file, "--cavv-key-file")?;
    let mut cfg = Config::new(
        required(args.listen, "--listen")?,
        required(args.data_dir, "--data-dir")?,
        cavv_key,
    );
    cfg.certificate_lifetime = Duration::from_secs(args.certificate_lifetime_secs);
    cfg.clock = args.clock.clock();
    run_until_signal(crate::start(cfg).await?, args.admin_listen).await
}

/// One human-readable line per entry.
fn line(e: &JournalEntry) -> String {
    let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".to_owned());
    format!(
        "{} {} {} serial={} card={} last4={} pi={} amount={} {} verification={} txn={}",
        e.at_ms,
        e.kind,
        e.result,
        opt(&e.serial),
        opt(&e.card_ref),
        opt(&e.last4),
        opt(&e.payment_intent),
        e.amount.map_or_else(|| "-".to_owned(), |a| a.to_string()),
        opt(&e.currency),
        opt(&e.verification_id),
        opt(&e.transaction_id)
    )
}
