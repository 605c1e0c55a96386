//! `paygate reconcile --carrier-settlement FILE`: the carrier charges of the file's merchant
//! and KST month against the carrier's settlement file
//! (`paygate_gateway::reconcile::carrier`). Exit status 1 when any difference is found.

use crate::config::DbArgs;
use paygate_gateway::reconcile::carrier::{CarrierProblem, reconcile_carrier};
use std::path::Path;

pub async fn run(db: DbArgs, file: &Path, json: bool) -> Result<(), String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let parsed = paygate_connector_carrier::settlement::parse(&text)
        .map_err(|e| format!("{}: {e}", file.display()))?;
    let cfg = db.config()?;
    let store = paygate_gateway::open_store(&cfg).await?;
    let report = reconcile_carrier(&store, &parsed).await;
    store.close().await;
    let report = report?;
    if json {
        println!(
            "{}",
            serde_json::to_string(&report).map_err(|e| e.to_string())?
        );
    } else {
        println!(
            "merchant {} month {}: {} carrier charges, {} settlement records, {} matched, {} reversed before being recorded",
            report.merchant,
            report.month,
            report.charges_checked,
            report.settlement_records,
            report.matched,
            report.reversed_unrecorded
        );
        for p in &report.problems {
            println!("{}", line(p));
        }
    }
    if report.problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} carrier reconciliation problem(s)",
            report.problems.len()
        ))
    }
}

/// `PROBLEM <kind> missing_on=<side> charge=<id> carrier_payment=<id> amount=<n> krw: <detail>`
/// with `-` for what is unknown.
fn line(p: &CarrierProblem) -> String {
    format!(
        "PROBLEM {} missing_on={} charge={} carrier_payment={} amount={} krw: {}",
        p.kind,
        p.missing_on.unwrap_or("-"),
        p.charge.as_deref().unwrap_or("-"),
        p.carrier_payment.as_deref().unwrap_or("-"),
        p.amount,
        p.detail
    )
}
