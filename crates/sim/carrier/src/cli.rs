//! `paygate sim carrier` command-line glue; the `paygate` binary mounts [`SimCarrierArgs`].
//!
//! ```text
//! paygate sim carrier --listen 127.0.0.1:7700 --data-dir DIR --sms-url http://127.0.0.1:7600
//! paygate sim carrier journal --data-dir DIR [--json]
//! paygate sim carrier settlement --data-dir DIR --merchant M --month YYYY-MM
//! ```

use std::net::SocketAddr;
use std::path::PathBuf;

use paygate_sim_kit::cli as kit;
use paygate_sim_kit::http_sim::{required, run_until_signal};

use crate::{Config, Entry, SimError};

/// Arguments of `paygate sim carrier`.
#[derive(clap::Args, Debug, Clone, PartialEq, Eq)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct SimCarrierArgs {
    /// Subcommand; without one, the simulator runs until SIGINT/SIGTERM.
    #[command(subcommand)]
    pub command: Option<SimCarrierCommand>,
    /// Address to listen on (port 0 picks a free port; the chosen address is printed).
    #[arg(long, required = true, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    /// Directory of the simulator's state and journal (created if missing).
    #[arg(long, required = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// The SMS gateway simulator the codes are sent through.
    #[arg(long, value_name = "URL")]
    pub sms_url: Option<String>,
    /// HTTP admin listener for faults at run time (`GET`/`POST /faults`, docs/OPERATIONS.md)
    /// and, with `--test-clock`, the clock (`GET /clock`, `POST /clock/advance`).
    #[arg(long, value_name = "ADDR")]
    pub admin_listen: Option<SocketAddr>,
    #[command(flatten)]
    pub clock: paygate_sim_kit::clock::ClockArgs,
}

/// Subcommands of `paygate sim carrier`.
#[derive(clap::Subcommand, Debug, Clone, PartialEq, Eq)]
pub enum SimCarrierCommand {
    /// Print the journal, oldest first (numbers masked).
    Journal(JournalArgs),
    /// Print a merchant's settlement file for a KST month.
    Settlement(SettlementArgs),
}

/// Arguments of `paygate sim carrier journal`.
#[derive(clap::Args, Debug, Clone, PartialEq, Eq)]
pub struct JournalArgs {
    #[arg(long, value_name = "DIR")]
    pub data_dir: PathBuf,
    /// Print a JSON array instead of one line per event.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `paygate sim carrier settlement`.
#[derive(clap::Args, Debug, Clone, PartialEq, Eq)]
pub struct SettlementArgs {
    #[arg(long, value_name = "DIR")]
    pub data_dir: PathBuf,
    /// The merchant (paygate's merchant id).
    #[arg(long)]
    pub merchant: String,
    /// The KST billing month, `YYYY-MM`.
    #[arg(long)]
    pub month: String,
}

/// Runs `paygate sim carrier` (prints `listening on ADDR` once ready) or its subcommand.
pub async fn run(args: SimCarrierArgs) -> Result<(), SimError> {
    match args.command {
        Some(SimCarrierCommand::Journal(j)) => {
            let entries = crate::journal(&j.data_dir)?;
            kit::print_records(j.json, &entries, line)
        }
        Some(SimCarrierCommand::Settlement(s)) => {
            print!(
                "{}",
                crate::settlement_file(&s.data_dir, &s.merchant, &s.month)?
            );
            Ok(())
        }
        None => serve(args).await,
    }
}

async fn serve(args: SimCarrierArgs) -> Result<(), SimError> {
    let cfg = Config {
        listen: required(args.listen, "--listen")?,
        data_dir: required(args.data_dir, "--data-dir")?,
        sms_url: args.sms_url,
        clock: args.clock.clock(),
    };
    run_until_signal(crate::start(cfg).await?, args.admin_listen).await
}

/// One journal line: `seq at event payment merchant phone amount [code]`.
fn line(e: &Entry) -> String {
    format!(
        "{} {} {} {} {} {} {} {}",
        e.seq,
        e.at,
        e.event,
        e.payment,
        e.merchant,
        e.phone,
        e.amount,
        e.code.as_deref().unwrap_or("-")
    )
}
