//! The live progress line on stderr (only when stdout is a terminal and `--json` is off).

use crate::driver::{Live, Window, Workload};
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// How often the line is redrawn.
const REDRAW_INTERVAL_MS: u64 = 500;

/// Redraws the line until aborted by the phase runner.
pub(crate) async fn run(live: Arc<Live>, workload: Workload, window: Window) {
    let mut tick = tokio::time::interval(Duration::from_millis(REDRAW_INTERVAL_MS));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut last = (Instant::now(), 0u64);
    loop {
        tick.tick().await;
        let (answered, errors, p99_us) = {
            let stats = live.stats.lock().expect("stats lock");
            (
                stats.answered(),
                stats.errors.total(),
                stats.latency.percentile_us(99.0),
            )
        };
        let now = Instant::now();
        let seconds = (now - last.0).as_secs_f64();
        let per_s = if seconds > 0.0 {
            answered.saturating_sub(last.1) as f64 / seconds
        } else {
            0.0
        };
        last = (now, answered);
        let label = match (workload, now < window.measure_from) {
            (Workload::Bare, true) => "bare warm-up",
            (Workload::Bare, false) => "bare",
            (Workload::Payments, true) => "warm-up",
            (Workload::Payments, false) => "payments",
        };
        let unit = if workload == Workload::Bare {
            "req/s"
        } else {
            "payments/s"
        };
        let line = format_line(
            label,
            now - window.start,
            window.end - window.start,
            per_s,
            unit,
            p99_us,
            errors,
        );
        // Best effort: a closed stderr must not stop the measurement.
        let _ = write!(std::io::stderr().lock(), "\r{line}\x1b[K");
    }
}

/// Erases the progress line.
pub(crate) fn clear() {
    let _ = write!(std::io::stderr().lock(), "\r\x1b[K");
}

fn format_line(
    label: &str,
    elapsed: Duration,
    total: Duration,
    per_s: f64,
    unit: &str,
    p99_us: u64,
    errors: u64,
) -> String {
    format!(
        "{label:>12} {:>6.1}s / {:.1}s  {per_s:>9.1} {unit}  p99 {:>8.2} ms  errors {errors}",
        elapsed.as_secs_f64().min(total.as_secs_f64()),
        total.as_secs_f64(),
        p99_us as f64 / 1_000.0,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_shows_elapsed_total_rate_p99_and_errors() {
        let line = format_line(
            "payments",
            Duration::from_millis(12_500),
            Duration::from_secs(30),
            1234.5,
            "payments/s",
            8_250,
            3,
        );
        assert_eq!(
            line,
            "    payments   12.5s / 30.0s     1234.5 payments/s  p99     8.25 ms  errors 3"
        );
    }
}
