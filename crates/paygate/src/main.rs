//! `paygate`: the gateway server, its operator commands, the card-network simulator and the
//! load generator, in one binary.

mod audit;
mod carrier_reconcile;
mod clearing_reconcile;
mod config;
mod dashboard;
mod demo;
mod devtools;
mod isp;
mod keys;
mod log_ids;
mod merchant;
mod otlp;
mod reconcile_bank;
mod redacting_log;
mod security_args;
mod serve;
mod terminal;
mod vault_serve;
mod wallet_keys;
mod wallets;

use clap::{Parser, Subcommand};
use config::{ConfigArgs, DbArgs};
use keys::KeysCmd;
use merchant::MerchantCmd;
use paygate_gateway::settlement;
use paygate_network::report::JsonReport;
use paygate_payments::{Clock, SystemClock};
use std::process::ExitCode;

/// Where `paygate serve` keeps its in-process simulator's journal, under the data directory.
use demo::SIM_DIR;

/// mimalloc instead of glibc malloc: with glibc a quarter of the server's CPU under load was
/// `malloc`/`free` (per-request JSON documents, HTTP buffers); see docs/BENCHMARKS.md.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "paygate", version, about = "A self-hostable payment gateway")]
struct Cli {
    /// Log lines as text (default) or one JSON object per line (`json`: timestamp, level,
    /// target, message and fields — request id, merchant, … — for log collectors).
    #[arg(
        long,
        global = true,
        env = "PAYGATE_LOG_FORMAT",
        default_value = "text"
    )]
    log_format: redacting_log::LogFormat,
    #[command(subcommand)]
    command: Command,
}

/// `paygate serve`: the configuration and the trace export.
#[derive(clap::Args)]
struct ServeArgs {
    #[command(flatten)]
    config: ConfigArgs,
    #[command(flatten)]
    otlp: otlp::OtlpArgs,
}

#[derive(Subcommand)]
enum Command {
    /// Run the gateway (SQLite under ./paygate-data and an in-process card network by default).
    Serve(Box<ServeArgs>),
    /// Merchants.
    #[command(subcommand)]
    Merchant(MerchantCmd),
    /// API keys and vault keys.
    #[command(subcommand)]
    Keys(KeysCmd),
    /// The vault as its own service (hybrid cloud: card data in a private zone).
    #[command(subcommand)]
    Vault(vault_serve::VaultCmd),
    /// Create or upgrade the database schema.
    Migrate(DbArgs),
    /// The double-entry ledger.
    #[command(subcommand)]
    Ledger(LedgerCmd),
    /// Move pending balances whose D+N date has come to available.
    Settle {
        #[command(flatten)]
        db: DbArgs,
        /// Settle everything available on or before this day (YYYY-MM-DD, UTC; today or
        /// earlier, a future day is refused); default today.
        #[arg(long)]
        date: Option<String>,
    },
    /// Compare the gateway's charges with the card network's acquirer report; non-zero exit
    /// on any disagreement, each named by charge id, RRN, STAN, amount and the side missing it.
    Reconcile {
        #[command(flatten)]
        db: DbArgs,
        /// The network simulator's data directory, whose report is read (default:
        /// DATA_DIR/network-sim, where `paygate serve` keeps its in-process simulator).
        #[arg(long, value_name = "DIR")]
        network_journal: Option<std::path::PathBuf>,
        /// An acquirer report file instead (JSON, the format of docs/iso8583.md, e.g. from
        /// `paygate sim network report --json`).
        #[arg(long, value_name = "FILE", conflicts_with = "network_journal")]
        network_report: Option<std::path::PathBuf>,
        /// The bank simulator's data directory, whose journal is reconciled with the
        /// virtual-account deposits and refunds to accounts (default: DATA_DIR/bank-sim when
        /// it exists).
        #[arg(long, value_name = "DIR")]
        bank_journal: Option<std::path::PathBuf>,
        /// Reconcile the carrier charges against the carrier's monthly settlement file of one
        /// merchant instead (docs/MOBILE_CARRIER.md, e.g. `paygate sim carrier settlement`).
        #[arg(long, value_name = "FILE", conflicts_with_all = ["network_journal", "network_report"])]
        carrier_settlement: Option<std::path::PathBuf>,
        /// Reconcile against the card network's daily clearing file instead (docs/CLEARING.md,
        /// e.g. `paygate sim network clearing`): exceptions as a table, exit 1 if any.
        #[arg(long, value_name = "FILE", conflicts_with_all = ["network_journal", "network_report", "carrier_settlement"])]
        clearing: Option<std::path::PathBuf>,
        /// With --clearing: a sale presented more than N days after its authorization is late.
        #[arg(long, value_name = "N", default_value_t = paygate_gateway::reconcile::clearing::LATE_AFTER_DAYS, value_parser = clap::value_parser!(i64).range(0..=3650), requires = "clearing")]
        late_after_days: i64,
        /// With --clearing: also write the exceptions as CSV to PATH.
        #[arg(long, value_name = "PATH", requires = "clearing")]
        csv: Option<std::path::PathBuf>,
        /// With --clearing: book the file's interchange (once per file; balance transactions
        /// of type network_cost).
        #[arg(long, requires = "clearing")]
        book_fees: bool,
        #[arg(long)]
        json: bool,
    },
    /// Simulators of the counterparties paygate talks to.
    #[command(subcommand)]
    Sim(SimCmd),
    /// ISP 안전결제 client: enrol a card into a wallet file, pay with it.
    #[command(subcommand)]
    Isp(isp::IspCmd),
    /// Wallets: 간편결제 (lock, unlock, audit trail); Apple Pay / Samsung Pay processing keys.
    #[command(subcommand)]
    Wallets(wallets::WalletsCmd),
    /// The dashboard (/dashboard): users, audit log.
    #[command(subcommand)]
    Dashboard(dashboard::DashboardCmd),
    /// The operator audit log (PCI DSS 10.2): verify its hash chain, export it.
    #[command(subcommand)]
    Audit(audit::AuditCmd),
    /// Store terminals (POS) of a merchant.
    #[command(subcommand)]
    Terminal(terminal::TerminalCmd),
    /// Load generator: card payments against a running paygate.
    Bench(paygate_bench::BenchArgs),
    /// Chaos run: a cluster of its own under seeded faults and load, invariants checked after the heal (docs/RELIABILITY.md).
    Chaos(paygate_chaos::ChaosArgs),
    /// Forward the merchant's events from a running gateway to a local URL, signed
    /// (a test-mode secret key; docs/DEVELOPERS.md).
    Listen(devtools::listen::ListenArgs),
    /// Make a running gateway fire an event, by creating its objects through the API.
    Trigger(devtools::trigger::TriggerArgs),
    /// The merchant's request log on a running gateway.
    #[command(subcommand)]
    Logs(devtools::logs::LogsCmd),
    /// Print the API's OpenAPI 3.1 document (`paygate openapi > docs/openapi.json`).
    Openapi,
    /// Print shell completions (`paygate completions bash > /etc/bash_completion.d/paygate`).
    Completions { shell: clap_complete::Shell },
}

#[derive(Subcommand)]
enum LedgerCmd {
    /// Check that every entry balances and every balance equals its postings.
    Verify {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum SimCmd {
    /// The ISO 8583 card network / issuer simulator.
    Network(paygate_sim_network::cli::SimNetworkArgs),
    /// The EMV 3-D Secure 2.2.0 Directory Server + ACS simulator (안심클릭 challenges).
    #[command(name = "3ds")]
    ThreeDs(paygate_sim_threeds::cli::SimThreeDsArgs),
    /// The ISP 안전결제 server simulator (the card company's CA and verifier).
    Isp(paygate_sim_isp::cli::SimIspArgs),
    /// The SMS gateway simulator (one-time codes of the easy_pay wallet).
    Sms(paygate_sim_sms::cli::SimSmsArgs),
    /// A store terminal with a phone in front of it (Apple Pay NFC, Samsung Pay MST).
    Pos(paygate_sim_pos::cli::SimPosArgs),
    /// The bank simulator (virtual accounts, deposit notices, transfers over telegrams).
    Bank(paygate_sim_bank::cli::SimBankArgs),
    /// The mobile carrier simulator (휴대폰 소액결제: subscribers, codes, bills, settlement).
    Carrier(paygate_sim_carrier::cli::SimCarrierArgs),
}

fn main() -> ExitCode {
    // Everything this process creates (database, WAL, vault keys, simulator journal, logs it
    // writes) is readable by its user only.
    #[cfg(unix)]
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));
    let cli = Cli::parse();
    let otlp = match &cli.command {
        Command::Serve(args) => args.otlp.sample_ratio().and_then(|ratio| {
            paygate_gateway::trace_context::set_sample_ratio(ratio);
            args.otlp.settings()
        }),
        _ => Ok(None),
    };
    let exporter = match otlp.and_then(|o| redacting_log::init(cli.log_format, o)) {
        Ok(exporter) => exporter,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = rt.block_on(run(cli));
    if let Some(exporter) = exporter {
        exporter.flush(std::time::Duration::from_secs(3));
    }
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), String> {
    match cli.command {
        Command::Serve(args) => serve::serve(args.config).await,
        Command::Merchant(cmd) => merchant::run(cmd).await,
        Command::Keys(cmd) => keys::run(cmd).await,
        Command::Vault(cmd) => vault_serve::run(cmd).await,
        Command::Audit(cmd) => audit::run(cmd).await,
        Command::Migrate(db) => {
            let cfg = db.config()?;
            let store = paygate_gateway::open_store(&cfg).await?;
            println!("database schema is up to date ({})", store.backend_name());
            store.close().await;
            Ok(())
        }
        Command::Ledger(LedgerCmd::Verify { db, json }) => ledger_verify(db, json).await,
        Command::Settle { db, date } => {
            let day = settlement::settle_day(date.as_deref(), SystemClock.now())?;
            let cfg = db.config()?;
            let store = paygate_gateway::open_store(&cfg).await?;
            let r = settlement::settle(&store, day, SystemClock.now()).await;
            store.close().await;
            let r = r?;
            println!(
                "settled {} balance transactions in {} ledger entries (available on or before {})",
                r.transactions,
                r.entries,
                settlement::format_date(day)
            );
            Ok(())
        }
        Command::Reconcile {
            db,
            network_journal,
            network_report,
            bank_journal,
            carrier_settlement,
            clearing,
            late_after_days,
            csv,
            book_fees,
            json,
        } => match (carrier_settlement, clearing) {
            (Some(file), _) => carrier_reconcile::run(db, &file, json).await,
            (None, Some(file)) => {
                let args = clearing_reconcile::ClearingArgs {
                    file,
                    late_after_days,
                    csv,
                    book_fees,
                    json,
                };
                clearing_reconcile::run(db, args).await
            }
            (None, None) => {
                reconcile(db, network_journal, network_report, bank_journal, json).await
            }
        },
        Command::Sim(SimCmd::Network(args)) => paygate_sim_network::cli::run(args)
            .await
            .map_err(|e| e.to_string()),
        Command::Sim(SimCmd::ThreeDs(args)) => paygate_sim_threeds::cli::run(args)
            .await
            .map_err(|e| e.to_string()),
        Command::Sim(SimCmd::Isp(args)) => paygate_sim_isp::cli::run(args)
            .await
            .map_err(|e| e.to_string()),
        Command::Sim(SimCmd::Sms(args)) => paygate_sim_sms::cli::run(args)
            .await
            .map_err(|e| e.to_string()),
        Command::Sim(SimCmd::Pos(args)) => paygate_sim_pos::cli::run(args).await,
        Command::Sim(SimCmd::Bank(args)) => paygate_sim_bank::cli::run(args)
            .await
            .map_err(|e| e.to_string()),
        Command::Sim(SimCmd::Carrier(a)) => paygate_sim_carrier::cli::run(a)
            .await
            .map_err(|e| e.to_string()),
        Command::Isp(cmd) => isp::run(cmd).await,
        Command::Wallets(cmd) => wallets::run(cmd).await,
        Command::Chaos(args) => paygate_chaos::main(args).await,
        Command::Dashboard(cmd) => dashboard::run(cmd).await,
        Command::Terminal(cmd) => terminal::run(cmd).await,
        Command::Listen(args) => devtools::listen::run(args).await,
        Command::Trigger(args) => devtools::trigger::run(args).await,
        Command::Logs(cmd) => devtools::logs::run(cmd).await,
        Command::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut cmd, "paygate", &mut std::io::stdout());
            Ok(())
        }
        Command::Openapi => {
            println!("{:#}", paygate_gateway::api::openapi::document());
            Ok(())
        }
        Command::Bench(args) => paygate_bench::run(args)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string()),
    }
}

/// The network's report: a report file, or the report of a simulator's data directory (read
/// by the simulator and handed over in the documented JSON format, like a bank's file).
fn network_report(
    cfg: &paygate_gateway::config::Config,
    sim_dir: Option<std::path::PathBuf>,
    file: Option<std::path::PathBuf>,
) -> Result<JsonReport, String> {
    if let Some(file) = file {
        return Ok(JsonReport::file(&file));
    }
    let dir = sim_dir.unwrap_or_else(|| cfg.data_dir.join(SIM_DIR));
    let records =
        paygate_sim_network::report(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let json = serde_json::to_value(records).map_err(|e| e.to_string())?;
    Ok(JsonReport::value(dir.display().to_string(), json))
}

async fn reconcile(
    db: DbArgs,
    sim_dir: Option<std::path::PathBuf>,
    report_file: Option<std::path::PathBuf>,
    bank_journal: Option<std::path::PathBuf>,
    json: bool,
) -> Result<(), String> {
    let cfg = db.config()?;
    let bank_problems = reconcile_bank::run(&cfg, bank_journal, json).await?;
    let network = network_report(&cfg, sim_dir, report_file)?;
    let store = paygate_gateway::open_store(&cfg).await?;
    let report = paygate_gateway::reconcile::reconcile(&store, &network).await;
    store.close().await;
    let report = report?;
    if json {
        println!(
            "{}",
            serde_json::to_string(&report).map_err(|e| e.to_string())?
        );
    } else {
        println!(
            "{} charges, {} network authorizations, {} matched",
            report.charges_checked, report.network_authorizations, report.matched
        );
        for p in &report.problems {
            println!("{}", problem_line(p));
        }
    }
    if report.problems.is_empty() && bank_problems == 0 {
        Ok(())
    } else {
        Err(format!(
            "{} reconciliation problem(s)",
            report.problems.len() + bank_problems
        ))
    }
}

/// `PROBLEM <kind> missing_on=<side> charge=<id> rrn=<rrn> stan=<stan> amount=<n> <cur>: <detail>`
/// with `-` for what is unknown.
fn problem_line(p: &paygate_gateway::reconcile::Problem) -> String {
    let or_dash = |v: Option<&str>| v.unwrap_or("-").to_string();
    format!(
        "PROBLEM {} missing_on={} charge={} rrn={} stan={} amount={} {}: {}",
        p.kind,
        or_dash(p.missing_on.map(|s| s.as_str())),
        or_dash(p.charge.as_deref()),
        or_dash(p.rrn.as_deref()),
        or_dash(p.stan.as_deref()),
        p.amount.map_or_else(|| "-".to_string(), |a| a.to_string()),
        or_dash(p.currency.as_deref()),
        p.detail
    )
}

async fn ledger_verify(db: DbArgs, json: bool) -> Result<(), String> {
    let cfg = db.config()?;
    let store = paygate_gateway::open_store(&cfg).await?;
    let report = store.ledger_verify().await.map_err(|e| e.to_string())?;
    store.close().await;
    if json {
        println!(
            "{}",
            serde_json::json!({"entries": report.entries, "accounts": report.accounts, "problems": report.problems})
        );
    } else {
        println!(
            "{} entries, {} accounts checked",
            report.entries, report.accounts
        );
        for p in &report.problems {
            println!("PROBLEM: {p}");
        }
    }
    if report.problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "the ledger has {} problem(s)",
            report.problems.len()
        ))
    }
}
