//! `paygate terminal create --merchant ACCT [--json]`: registers a store terminal for a
//! merchant (its DE 41 terminal id and DE 42 merchant id), and the `--pos-listen` listener of
//! `paygate serve`.

use crate::config::DbArgs;
use clap::Subcommand;
use paygate_gateway::audit::operator::{Action, Subject};
use paygate_gateway::pos::terminals;
use paygate_payments::{Clock, SystemClock};

/// `paygate terminal …`.
#[derive(Subcommand)]
pub enum TerminalCmd {
    /// Register a new terminal for a merchant.
    Create {
        /// The merchant account (`acct_…`).
        #[arg(long)]
        merchant: String,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        db: DbArgs,
    },
}

/// Runs a `paygate terminal` command.
pub async fn run(cmd: TerminalCmd) -> Result<(), String> {
    let TerminalCmd::Create { merchant, json, db } = cmd;
    let cfg = db.config()?;
    let store = paygate_gateway::open_store(&cfg).await?;
    let created = terminals::create(&store, &merchant, SystemClock.now()).await;
    let audited = match &created {
        Ok(t) => {
            let detail = format!("de41={}", t.terminal_id);
            let subject = Subject {
                target: &t.id,
                merchant: &t.merchant,
                detail: &detail,
            };
            crate::audit::record(&store, Action::TerminalCreate, subject).await
        }
        Err(_) => Ok(()),
    };
    store.close().await;
    let t = created.map_err(|e| e.to_string())?;
    if json {
        println!("{}", terminals::cli_view(&t));
    } else {
        println!(
            "terminal {} (DE 41 {}, DE 42 {:?}) for {}",
            t.id, t.terminal_id, t.merchant_id, t.merchant
        );
    }
    audited
}

/// Binds `addr` for terminals and serves them on `state`; prints the bound address (the
/// line process tests read) before the server's ready line.
pub async fn listen(
    state: paygate_gateway::state::SharedState,
    addr: &str,
) -> Result<tokio::task::JoinHandle<()>, String> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("--pos-listen {addr}: {e}"))?;
    let bound = listener.local_addr().map_err(|e| e.to_string())?;
    println!("paygate pos listening on {bound}");
    Ok(tokio::spawn(paygate_gateway::pos::serve(state, listener)))
}
