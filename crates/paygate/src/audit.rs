//! `paygate audit verify|export`: the operator audit log (PCI DSS 10.2,
//! `paygate_gateway::audit::operator`), and [`record`], which every state-changing operator
//! command calls once its action has committed.

use crate::config::DbArgs;
use clap::Subcommand;
use paygate_gateway::audit::operator::{self, Action, OPERATOR, Operator, Subject};
use paygate_payments::{Clock, SystemClock};
use paygate_store::Store;

#[derive(Subcommand)]
pub enum AuditCmd {
    /// Check the hash chain; exit non-zero naming the first broken entry.
    Verify {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        json: bool,
    },
    /// Print every entry, oldest first (a table, or one JSON object per line).
    Export {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        json: bool,
    },
}

/// Records `action` by this process's user (`program`: `cli` or `serve`). The action has
/// already happened: a failure says so, naming the entry that is missing.
pub async fn record_as(
    store: &Store,
    program: &str,
    action: Action,
    subject: Subject<'_>,
) -> Result<(), String> {
    let who = Operator::of_this_process(program);
    let name = subject_name(&subject);
    operator::record(store, SystemClock.now(), &who, action, subject)
        .await
        .map(|_| ())
        .map_err(|e| {
            format!(
                "{} {name} was done, but its audit entry was not written: {e}",
                action.as_str()
            )
        })
}

fn subject_name(s: &Subject<'_>) -> String {
    if s.target.is_empty() {
        s.merchant.to_string()
    } else {
        s.target.to_string()
    }
}

/// [`record_as`] for an operator command.
pub async fn record(store: &Store, action: Action, subject: Subject<'_>) -> Result<(), String> {
    record_as(store, "cli", action, subject).await
}

pub async fn run(cmd: AuditCmd) -> Result<(), String> {
    let (AuditCmd::Verify { db, .. } | AuditCmd::Export { db, .. }) = &cmd;
    let cfg = db.config()?;
    let store = paygate_gateway::open_store(&cfg).await?;
    let result = match cmd {
        AuditCmd::Verify { json, .. } => verify(&store, json).await,
        AuditCmd::Export { json, .. } => export(&store, json).await,
    };
    store.close().await;
    result
}

async fn verify(store: &Store, json: bool) -> Result<(), String> {
    let v = OPERATOR.verify(store).await.map_err(|e| e.to_string())?;
    if json {
        println!("{}", serde_json::to_string(&v).map_err(|e| e.to_string())?);
    }
    match v.broken {
        None => {
            if !json {
                println!("operator audit log intact: {} entries", v.entries);
            }
            Ok(())
        }
        Some((seq, why)) => Err(format!(
            "operator audit log broken at entry {seq} ({}): {why}",
            OPERATOR.entry_id(seq)
        )),
    }
}

async fn export(store: &Store, json: bool) -> Result<(), String> {
    let all = OPERATOR.entries(store).await.map_err(|e| e.to_string())?;
    if !json {
        println!("SEQ\tAT\tACTOR\tWHERE\tACTION\tTARGET\tMERCHANT\tDETAIL");
    }
    for e in all {
        if json {
            println!("{}", serde_json::to_string(&e).map_err(|e| e.to_string())?);
        } else {
            let r = &e.record;
            println!(
                "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                e.seq,
                crate::keys::timestamp(e.at),
                r.actor,
                r.ip,
                r.action,
                dash(&r.target),
                dash(&r.merchant),
                dash(&r.detail)
            );
        }
    }
    Ok(())
}

fn dash(s: &str) -> &str {
    if s.is_empty() { "-" } else { s }
}
