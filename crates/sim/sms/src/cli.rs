//! `paygate sim sms` command-line glue; the `paygate` binary mounts [`SimSmsArgs`].
//!
//! ```text
//! paygate sim sms --listen 127.0.0.1:7600 --data-dir DIR
//! paygate sim sms journal --data-dir DIR [--json]
//! ```

use std::net::SocketAddr;
use std::path::PathBuf;

use paygate_sim_kit::cli as kit;
use paygate_sim_kit::http_sim::{required, run_until_signal};

use crate::{Config, Message, SimError};

/// Arguments of `paygate sim sms`.
#[derive(clap::Args, Debug, Clone, PartialEq, Eq)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct SimSmsArgs {
    /// Subcommand; without one, the simulator runs until SIGINT/SIGTERM.
    #[command(subcommand)]
    pub command: Option<SimSmsCommand>,
    /// Address to listen on (port 0 picks a free port; the chosen address is printed).
    #[arg(long, required = true, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    /// Directory of the simulator's journal (created if missing).
    #[arg(long, required = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// HTTP admin listener for faults at run time (`GET`/`POST /faults`, docs/OPERATIONS.md):
    /// an injected decline answers 503 `undeliverable`; prints `admin listening on ADDR`.
    #[arg(long, value_name = "ADDR")]
    pub admin_listen: Option<SocketAddr>,
    #[command(flatten)]
    pub clock: paygate_sim_kit::clock::ClockArgs,
}

/// Subcommands of `paygate sim sms`.
#[derive(clap::Subcommand, Debug, Clone, PartialEq, Eq)]
pub enum SimSmsCommand {
    /// Print the journal: every accepted message, oldest first.
    Journal(JournalArgs),
}

/// Arguments of `paygate sim sms journal`.
#[derive(clap::Args, Debug, Clone, PartialEq, Eq)]
pub struct JournalArgs {
    /// Data directory of the simulator.
    #[arg(long, value_name = "DIR")]
    pub data_dir: PathBuf,
    /// Print a JSON array instead of one line per message.
    #[arg(long)]
    pub json: bool,
}

/// Runs `paygate sim sms` (prints `listening on ADDR` once ready) or its subcommand.
pub async fn run(args: SimSmsArgs) -> Result<(), SimError> {
    match args.command {
        Some(SimSmsCommand::Journal(j)) => {
            let messages = crate::journal(&j.data_dir)?;
            kit::print_records(j.json, &messages, line)
        }
        None => serve(args).await,
    }
}

async fn serve(args: SimSmsArgs) -> Result<(), SimError> {
    let cfg = Config {
        listen: required(args.listen, "--listen")?,
        data_dir: required(args.data_dir, "--data-dir")?,
        clock: args.clock.clock(),
    };
    run_until_signal(crate::start(cfg).await?, args.admin_listen).await
}

/// One journal line: `id created_ms phone sender body`.
fn line(m: &Message) -> String {
    format!(
        "{} {} {} {} {:?}",
        m.id, m.created_ms, m.phone, m.sender, m.body
    )
}
