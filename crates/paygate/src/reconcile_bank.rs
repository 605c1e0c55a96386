//! `paygate reconcile --bank-journal DIR`: the bank simulator's journal (default, without
//! `--json`: DATA_DIR/bank-sim when it exists, where `paygate serve` keeps its in-process bank) against
//! the gateway's virtual-account deposits and refunds to accounts.

use paygate_gateway::config::Config;
use paygate_gateway::reconcile_bank::{BankLine, reconcile_bank};
use std::path::PathBuf;

/// Reconciles the bank's journal when there is one; returns how many problems were found.
pub async fn run(cfg: &Config, dir: Option<PathBuf>, json: bool) -> Result<usize, String> {
    let given = dir.is_some();
    let dir = dir.unwrap_or_else(|| cfg.data_dir.join(crate::demo::BANK_SIM_DIR));
    // The default is read only when present, and with --json only when asked for (the JSON
    // output stays one document: the network's, or the bank's with --bank-journal).
    if !given && (json || !dir.join(paygate_sim_bank::JOURNAL_FILE).is_file()) {
        return Ok(0);
    }
    let journal = paygate_sim_bank::journal(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let value = serde_json::to_value(&journal).map_err(|e| e.to_string())?;
    let lines: Vec<BankLine> = serde_json::from_value(value).map_err(|e| e.to_string())?;
    let store = paygate_gateway::open_store(cfg).await?;
    let report = reconcile_bank(&store, &lines).await;
    store.close().await;
    let report = report?;
    if json {
        println!(
            "{}",
            serde_json::to_string(&report).map_err(|e| e.to_string())?
        );
    } else {
        println!(
            "bank: {} deposits, {} transfers, {} debits, {} matched",
            report.deposits_at_bank,
            report.transfers_at_bank,
            report.debits_at_bank,
            report.matched
        );
        for p in &report.problems {
            let amount = |a: Option<i64>| a.map_or("-".to_string(), |a| a.to_string());
            println!(
                "PROBLEM {} reference={} bank_amount={} gateway_amount={}",
                p.kind,
                p.reference,
                amount(p.bank_amount),
                amount(p.gateway_amount)
            );
        }
    }
    Ok(report.problems.len())
}
