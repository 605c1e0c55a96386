//! `paygate sim network` command-line glue; the `paygate` binary mounts [`SimNetworkArgs`].
//!
//! ```text
//! paygate sim network --listen 127.0.0.1:8583 --data-dir DIR [--profile ascii|binary]
//!                     [--open-to-buy-minor N] [--cavv-key-file PATH] [--admin-listen ADDR]
//!                     [--test-clock]
//! paygate sim network journal --data-dir DIR [--json]
//! paygate sim network report  --data-dir DIR [--json]
//! paygate sim network clearing --data-dir DIR --date YYYY-MM-DD > FILE
//! ```

use std::net::SocketAddr;
use std::path::PathBuf;

use paygate_iso8583::Profile;
use paygate_sim_kit::cli as kit;

use crate::{DEFAULT_OPEN_TO_BUY_MINOR, JournalEntry, ReportRecord, SimConfig, SimError};

/// Arguments of `paygate sim network`.
#[derive(clap::Args, Debug, Clone, PartialEq, Eq)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct SimNetworkArgs {
    /// Subcommand; without one, the simulator runs until SIGINT/SIGTERM.
    #[command(subcommand)]
    pub command: Option<SimNetworkCommand>,
    /// Address to listen on (port 0 picks a free port; the chosen address is printed).
    #[arg(long, required = true, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    /// Directory of the simulator's journal database (created if missing).
    #[arg(long, required = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// ISO 8583 wire profile: ascii (pyiso8583 default_ascii) or binary (pyiso8583 default).
    #[arg(long, default_value = "ascii", value_name = "ascii|binary")]
    pub profile: Profile,
    /// Open-to-buy of each card account on first use, in minor units.
    #[arg(long, default_value_t = DEFAULT_OPEN_TO_BUY_MINOR, value_name = "N")]
    pub open_to_buy_minor: i64,
    /// File holding the 3-D Secure CAVV key (64 hex digits), the same file `paygate sim 3ds`
    /// is given. Without it, every 3-D Secure payment (ECI 05/06/02/01) is declined 05 with
    /// authentication "failed".
    #[arg(long, value_name = "PATH")]
    pub cavv_key_file: Option<PathBuf>,
    /// HTTP admin listener for faults at run time (`GET`/`POST /faults`, docs/OPERATIONS.md);
    /// prints `admin listening on ADDR`. Off without it.
    #[arg(long, value_name = "ADDR")]
    pub admin_listen: Option<SocketAddr>,
    #[command(flatten)]
    pub clock: paygate_sim_kit::clock::ClockArgs,
}

/// Subcommands of `paygate sim network`.
#[derive(clap::Subcommand, Debug, Clone, PartialEq, Eq)]
pub enum SimNetworkCommand {
    /// Print the journal: one entry per request (authorizations show their current state).
    Journal(JournalArgs),
    /// Print the acquirer report the gateway reconciles against: one record per
    /// authorization, purchase, capture, refund and reversal (docs/iso8583.md).
    Report(JournalArgs),
    /// Print the clearing file of one UTC day (fixed-width records with interchange fees,
    /// docs/CLEARING.md), which `paygate reconcile --clearing FILE` reads.
    Clearing(ClearingArgs),
}

/// Arguments of `paygate sim network clearing`.
#[derive(clap::Args, Debug, Clone, PartialEq, Eq)]
pub struct ClearingArgs {
    /// Data directory of the simulator.
    #[arg(long, value_name = "DIR")]
    pub data_dir: PathBuf,
    /// The day cleared, YYYY-MM-DD (UTC, the simulator's clock).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub date: String,
}

/// Arguments of `paygate sim network journal` and `report`.
#[derive(clap::Args, Debug, Clone, PartialEq, Eq)]
pub struct JournalArgs {
    /// Data directory of the simulator.
    #[arg(long, value_name = "DIR")]
    pub data_dir: PathBuf,
    /// Print a JSON array instead of one line per entry.
    #[arg(long)]
    pub json: bool,
}

/// Runs `paygate sim network` (prints `listening on ADDR` once ready) or its subcommand.
pub async fn run(args: SimNetworkArgs) -> Result<(), SimError> {
    match args.command {
        Some(SimNetworkCommand::Journal(j)) => print_journal(&j),
        Some(SimNetworkCommand::Report(j)) => print_report(&j),
        Some(SimNetworkCommand::Clearing(c)) => print_clearing(&c),
        None => serve(args).await,
    }
}

async fn serve(args: SimNetworkArgs) -> Result<(), SimError> {
    let missing = |field: &'static str| SimError::Config {
        field,
        rule: "is required".to_owned(),
    };
    let cfg = SimConfig {
        listen: args.listen.ok_or_else(|| missing("--listen"))?,
        data_dir: args.data_dir.ok_or_else(|| missing("--data-dir"))?,
        profile: args.profile,
        open_to_buy_minor: args.open_to_buy_minor,
        cavv_key: match &args.cavv_key_file {
            Some(path) => Some(crate::CavvKey::new(paygate_sim_kit::key_file::read_key32(
                path,
                "--cavv-key-file",
            )?)),
            None => None,
        },
        clock: args.clock.clock(),
    };
    let handle = crate::start(cfg).await?;
    kit::print_listening(handle.local_addr())?;
    if let Some(admin) = args.admin_listen {
        let addr = handle.serve_admin(admin).await?;
        println!("admin listening on {addr}");
    }
    kit::wait_for_signal().await?;
    tracing::info!("signal received: network simulator shutting down");
    handle.shutdown().await
}

fn print_journal(args: &JournalArgs) -> Result<(), SimError> {
    let entries = crate::journal(&args.data_dir)?;
    kit::print_records(args.json, &entries, line)
}

fn print_clearing(args: &ClearingArgs) -> Result<(), SimError> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    let day = time::Date::parse(&args.date, &fmt).map_err(|e| SimError::Config {
        field: "--date",
        rule: format!("must be a day YYYY-MM-DD: {e}"),
    })?;
    let text = crate::clearing_file(&args.data_dir, day)?;
    use std::io::Write as _;
    std::io::stdout().lock().write_all(text.as_bytes())?;
    Ok(())
}

fn print_report(args: &JournalArgs) -> Result<(), SimError> {
    let records = crate::report(&args.data_dir)?;
    kit::print_records(args.json, &records, report_line)
}

/// One human-readable line per report record.
fn report_line(r: &ReportRecord) -> String {
    let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".to_owned());
    format!(
        "{:?} terminal={} stan={} rrn={} amount={} currency={} rc={} original_stan={} original_rrn={}",
        r.kind,
        r.terminal_id,
        r.stan,
        opt(&r.rrn),
        r.amount.map_or_else(|| "-".to_owned(), |a| a.to_string()),
        opt(&r.currency),
        r.response_code,
        opt(&r.original_stan),
        opt(&r.original_rrn)
    )
}

/// One human-readable line per entry.
fn line(e: &JournalEntry) -> String {
    match e {
        JournalEntry::Authorization(a) | JournalEntry::AccountVerification(a) => format!(
            "{} {} {} {} stan={} rrn={} amount={} {} rc={} reversed={} captured={} refunded={} eci={} authentication={}{}{}",
            match e {
                JournalEntry::AccountVerification(_) => "account_verification",
                _ => "authorization",
            },
            a.mti,
            a.terminal_id,
            a.transmitted_at,
            a.stan,
            a.rrn,
            a.amount,
            a.currency,
            a.response_code,
            a.reversed,
            a.captured_amount,
            a.refunded_amount,
            a.eci.as_deref().unwrap_or("-"),
            a.authentication.as_str(),
            match a.authentication_program {
                Some(p) => format!(" program={}", p.as_str()),
                None => String::new(),
            },
            match (&a.stored_credential, &a.original_rrn) {
                (Some(u), Some(o)) => format!(" stored_credential={u} original_rrn={o}"),
                (Some(u), None) => format!(" stored_credential={u}"),
                _ => String::new(),
            }
        ),
        JournalEntry::Capture(f) | JournalEntry::Refund(f) | JournalEntry::Reversal(f) => format!(
            "{} {} {} stan={} original_stan={} found={} amount={} rc={}",
            f.mti,
            f.terminal_id,
            f.transmitted_at,
            f.stan,
            f.original_stan,
            f.original_found,
            f.amount.map_or_else(|| "-".to_owned(), |a| a.to_string()),
            f.response_code
        ),
        JournalEntry::Echo(m) | JournalEntry::FormatError(m) | JournalEntry::Unsupported(m) => {
            format!(
                "{} stan={} rc={}",
                m.mti,
                m.stan.as_deref().unwrap_or("-"),
                m.response_code
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser, Debug)]
    struct Cli {
        #[command(flatten)]
        args: SimNetworkArgs,
    }

    #[test]
    fn serve_flags_parse_with_defaults() {
        let cli = Cli::try_parse_from(["sim", "--listen", "127.0.0.1:0", "--data-dir", "/tmp/x"])
            .unwrap();
        assert_eq!(cli.args.profile, Profile::Ascii);
        assert_eq!(cli.args.open_to_buy_minor, DEFAULT_OPEN_TO_BUY_MINOR);
        assert_eq!(
            cli.args.cavv_key_file, None,
            "3-D Secure fails without a key"
        );
        assert!(cli.args.command.is_none());
        let cli = Cli::try_parse_from([
            "sim",
            "--listen",
            "0.0.0.0:8583",
            "--data-dir",
            "d",
            "--profile",
            "binary",
            "--open-to-buy-minor",
            "5000",
        ])
        .unwrap();
        assert_eq!(cli.args.profile, Profile::Binary);
        assert_eq!(cli.args.open_to_buy_minor, 5000);
        assert!(
            Cli::try_parse_from(["sim", "--data-dir", "d"]).is_err(),
            "--listen missing"
        );
        assert!(Cli::try_parse_from(["sim", "--listen", "x", "--data-dir", "d"]).is_err());
    }

    #[test]
    fn journal_and_report_subcommands_need_no_listen_address() {
        let cli = Cli::try_parse_from(["sim", "journal", "--data-dir", "d", "--json"]).unwrap();
        let args = JournalArgs {
            data_dir: "d".into(),
            json: true,
        };
        assert_eq!(
            cli.args.command,
            Some(SimNetworkCommand::Journal(args.clone()))
        );
        let cli = Cli::try_parse_from(["sim", "report", "--data-dir", "d", "--json"]).unwrap();
        assert_eq!(cli.args.command, Some(SimNetworkCommand::Report(args)));
    }
}
