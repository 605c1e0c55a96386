//! Command-line helpers shared by the simulators' `paygate sim <counterparty>` commands.

use std::io::Write;
use std::net::SocketAddr;

use serde::Serialize;

use crate::SimError;

/// Prints `listening on ADDR` on stdout (what scripts and tests wait for) and flushes.
pub fn print_listening(addr: SocketAddr) -> Result<(), SimError> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "listening on {addr}")?;
    out.flush()?;
    Ok(())
}

/// Prints `value` as pretty JSON on stdout (`journal --json`, `report --json`).
pub fn print_json<T: Serialize + ?Sized>(value: &T) -> Result<(), SimError> {
    let text =
        serde_json::to_string_pretty(value).map_err(|e| SimError::Task(format!("JSON: {e}")))?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{text}")?;
    out.flush()?;
    Ok(())
}

/// Prints one line per item on stdout.
pub fn print_lines(lines: impl IntoIterator<Item = String>) -> Result<(), SimError> {
    let mut out = std::io::stdout().lock();
    for line in lines {
        writeln!(out, "{line}")?;
    }
    out.flush()?;
    Ok(())
}

/// Prints `records` as pretty JSON (`--json`) or one human-readable `line` each.
pub fn print_records<T: Serialize>(
    json: bool,
    records: &[T],
    line: impl Fn(&T) -> String,
) -> Result<(), SimError> {
    if json {
        print_json(records)
    } else {
        print_lines(records.iter().map(line))
    }
}

/// Resolves on SIGINT or SIGTERM.
#[cfg(unix)]
pub async fn wait_for_signal() -> std::io::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    tokio::select! {
        r = tokio::signal::ctrl_c() => r,
        _ = term.recv() => Ok(()),
    }
}

/// Resolves on Ctrl-C.
#[cfg(not(unix))]
pub async fn wait_for_signal() -> std::io::Result<()> {
    tokio::signal::ctrl_c().await
}
