//! `paygate`: the gateway server, its operator commands, the card-network simulator and the
//! load generator, in one binary.

mod config;
mod keys;
mod merchant;

use clap::{Parser, Subcommand};
use config::{ConfigArgs, DbArgs};
use keys::KeysCmd;
use merchant::MerchantCmd;
use paygate_gateway::{admin, settlement};
use paygate_payments::{Clock, SystemClock};
use std::io::IsTerminal;
use std::process::ExitCode;

/// mimalloc instead of glibc malloc: with glibc a quarter of the server's CPU under load was
/// `malloc`/`free` (per-request JSON documents, HTTP buffers); see docs/BENCHMARKS.md.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "paygate", version, about = "A self-hostable payment gateway")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the gateway (SQLite under ./paygate-data and an in-process card network by default).
    Serve(ConfigArgs),
    /// Merchants.
    #[command(subcommand)]
    Merchant(MerchantCmd),
    /// API keys and vault keys.
    #[command(subcommand)]
    Keys(KeysCmd),
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
    /// Compare the gateway's charges with the card network's journal; non-zero exit on any
    /// disagreement.
    Reconcile {
        #[command(flatten)]
        db: DbArgs,
        /// The network simulator's data directory (default: DATA_DIR/network-sim, where
        /// `paygate serve` keeps its in-process simulator).
        #[arg(long)]
        network_journal: Option<std::path::PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Simulators of the counterparties paygate talks to.
    #[command(subcommand)]
    Sim(SimCmd),
    /// Load generator: card payments against a running paygate.
    Bench(paygate_bench::BenchArgs),
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
    Network(paygate_network::cli::SimNetworkArgs),
}

fn main() -> ExitCode {
    // Everything this process creates (database, WAL, vault keys, simulator journal, logs it
    // writes) is readable by its user only.
    #[cfg(unix)]
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("PAYGATE_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    let cli = Cli::parse();
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
    match rt.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), String> {
    match cli.command {
        Command::Serve(args) => serve(args).await,
        Command::Merchant(cmd) => merchant::run(cmd).await,
        Command::Keys(cmd) => keys::run(cmd).await,
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
            json,
        } => reconcile(db, network_journal, json).await,
        Command::Sim(SimCmd::Network(args)) => paygate_network::cli::run(args)
            .await
            .map_err(|e| e.to_string()),
        Command::Bench(args) => paygate_bench::run(args)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string()),
    }
}

async fn reconcile(
    db: DbArgs,
    journal_dir: Option<std::path::PathBuf>,
    json: bool,
) -> Result<(), String> {
    let cfg = db.config()?;
    let dir = journal_dir.unwrap_or_else(|| cfg.data_dir.join("network-sim"));
    let journal =
        paygate_network::sim::journal(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let store = paygate_gateway::open_store(&cfg).await?;
    let report = paygate_gateway::reconcile::reconcile(&store, &journal).await;
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
            println!(
                "PROBLEM {} charge={} rrn={}: {}",
                p.kind,
                p.charge.as_deref().unwrap_or("-"),
                p.rrn.as_deref().unwrap_or("-"),
                p.detail
            );
        }
    }
    if report.problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} reconciliation problem(s)",
            report.problems.len()
        ))
    }
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

async fn serve(args: ConfigArgs) -> Result<(), String> {
    let cfg = args.config()?;
    let first_start = !cfg.data_dir.join("paygate.db").exists() && cfg.database_url.is_none();
    let server = paygate_gateway::start(cfg.clone()).await?;
    let addr = server.addr;
    if first_start
        || server
            .state
            .store
            .list_merchants()
            .await
            .map(|m| m.is_empty())
            .unwrap_or(false)
    {
        let m = admin::create_merchant(&server.state.store, &cfg, "Demo merchant").await?;
        println!("created a test-mode demo merchant:");
        merchant::print_new(&m, "  ");
        println!("try it:");
        println!(
            "  curl http://{addr}/v1/payment_intents -u {}: -d amount=10000 -d currency=krw -d confirm=true \\\n    -d 'payment_method_data[type]=card' -d 'payment_method_data[card][number]=4242424242424242' \\\n    -d 'payment_method_data[card][exp_month]=12' -d 'payment_method_data[card][exp_year]=2030' -d 'payment_method_data[card][cvc]=123'",
            m.secret_key
        );
    }
    if let Some(m) = server.metrics_addr {
        println!("metrics on http://{m}/metrics");
    }
    println!("paygate listening on http://{addr}");
    if let Some(sim) = &server.sim {
        println!("card network simulator on {}", sim.local_addr());
    }
    wait_for_signal().await;
    tracing::info!("shutting down: draining in-flight requests");
    server.shutdown().await;
    Ok(())
}

async fn wait_for_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
