//! `paygate reconcile --clearing FILE [--late-after-days N] [--csv PATH] [--book-fees]`: the
//! card network's daily clearing file against the charges, refunds and ledger
//! (`paygate_gateway::reconcile::clearing`, docs/CLEARING.md). The exceptions are a table on
//! stdout (`--json`: one JSON document) and, with `--csv`, a CSV file; the exit status is 1
//! when there is any. `--book-fees` books the interchange of the matched records (once per
//! file, whatever the exceptions).

use crate::config::DbArgs;
use paygate_dashboard::listing::csv_cell;
use paygate_gateway::reconcile::clearing::{ClearingReport, Exception, fees, reconcile_clearing};
use paygate_payments::{Clock, SystemClock};
use std::path::{Path, PathBuf};

/// The options of the clearing mode.
pub struct ClearingArgs {
    pub file: PathBuf,
    pub late_after_days: i64,
    pub csv: Option<PathBuf>,
    pub book_fees: bool,
    pub json: bool,
}

const COLUMNS: [&str; 9] = [
    "kind", "line", "rrn", "merchant", "charge", "refund", "amount", "currency", "detail",
];

pub async fn run(db: DbArgs, args: ClearingArgs) -> Result<(), String> {
    let text =
        std::fs::read_to_string(&args.file).map_err(|e| format!("{}: {e}", args.file.display()))?;
    let file = paygate_network::clearing::parse(&text)
        .map_err(|e| format!("{}: not a clearing file: {e}", args.file.display()))?;
    let cfg = db.config()?;
    let store = paygate_gateway::open_store(&cfg).await?;
    let outcome = async {
        let report = reconcile_clearing(&store, &file, args.late_after_days).await?;
        let booked = if args.book_fees {
            fees::book(&store, &file, &report.fees, SystemClock.now()).await?
        } else {
            Vec::new()
        };
        Ok::<_, String>((report, booked))
    }
    .await;
    store.close().await;
    let (report, booked) = outcome?;
    if let Some(path) = &args.csv {
        write_csv(path, &report.exceptions)?;
    }
    print(&report, &booked, args.json)?;
    if report.exceptions.is_empty() {
        Ok(())
    } else {
        Err(format!("{} clearing exception(s)", report.exceptions.len()))
    }
}

fn cells(e: &Exception) -> [String; 9] {
    let or_dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
    [
        e.kind.as_str().to_string(),
        e.line.map_or_else(|| "-".into(), |l| l.to_string()),
        e.rrn.clone(),
        or_dash(&e.merchant),
        or_dash(&e.charge),
        or_dash(&e.refund),
        e.amount.to_string(),
        e.currency.clone(),
        e.detail.clone(),
    ]
}

fn write_csv(path: &Path, exceptions: &[Exception]) -> Result<(), String> {
    let mut out = COLUMNS.join(",");
    out.push('\n');
    for e in exceptions {
        let row: Vec<String> = cells(e).iter().map(|c| csv_cell(c)).collect();
        out.push_str(&row.join(","));
        out.push('\n');
    }
    std::fs::write(path, out).map_err(|e| format!("--csv {}: {e}", path.display()))
}

fn print(
    report: &ClearingReport,
    booked: &[(fees::FeeTotal, fees::Booking)],
    json: bool,
) -> Result<(), String> {
    if json {
        let booked: Vec<_> = booked
            .iter()
            .map(|(t, b)| serde_json::json!({"total": t, "booking": b}))
            .collect();
        let doc = serde_json::json!({"report": report, "fees_booked": booked});
        println!("{doc}");
        return Ok(());
    }
    println!(
        "clearing {}: {} records, {} matched, {} exceptions",
        report.date,
        report.records,
        report.matched,
        report.exceptions.len()
    );
    if !report.exceptions.is_empty() {
        let rows: Vec<[String; 9]> = report.exceptions.iter().map(cells).collect();
        print_table(&rows);
    }
    for (t, b) in booked {
        println!(
            "interchange {} {} {} {}: {} ({} records)",
            t.merchant,
            if t.livemode { "live" } else { "test" },
            t.net,
            t.currency,
            serde_json::to_value(b)
                .map_err(|e| e.to_string())?
                .as_str()
                .unwrap_or("-"),
            t.records
        );
    }
    Ok(())
}

/// Columns padded to their widest cell; the detail last, unpadded.
fn print_table(rows: &[[String; 9]]) {
    let mut widths = COLUMNS.map(str::len);
    for r in rows {
        for (w, c) in widths.iter_mut().zip(r.iter()) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: &[&str]| {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                s.push_str(c);
            } else {
                s.push_str(&format!("{c:<w$}  ", w = widths[i]));
            }
        }
        s
    };
    println!(
        "{}",
        line(
            &COLUMNS
                .map(|c| c.to_uppercase())
                .each_ref()
                .map(String::as_str)
        )
    );
    for r in rows {
        println!("{}", line(&r.each_ref().map(String::as_str)));
    }
}
