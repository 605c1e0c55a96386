//! The run's summary: the JSON object and the human table.

use crate::histogram::Histogram;
use crate::stats::{ErrorCounts, PhaseStats};
use serde::Serialize;
use std::fmt::Write as _;
use std::io::Write;

/// Open or closed loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Fixed concurrency: each worker sends its next payment when the last one is answered.
    ClosedLoop,
    /// Fixed arrival rate; latency from the intended send time.
    OpenLoop,
}

/// Latency percentiles in milliseconds (≤ 0.8 % relative error; `max` and `mean` exact).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Latency {
    /// Median.
    pub p50: f64,
    /// 95th percentile.
    pub p95: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Largest value seen.
    pub max: f64,
    /// Arithmetic mean.
    pub mean: f64,
    /// Number of requests measured.
    pub count: u64,
}

impl Latency {
    pub(crate) fn from_histogram(h: &Histogram) -> Self {
        let ms = |us: u64| us as f64 / 1_000.0;
        Self {
            p50: ms(h.percentile_us(50.0)),
            p95: ms(h.percentile_us(95.0)),
            p99: ms(h.percentile_us(99.0)),
            max: ms(h.max_us()),
            mean: h.mean_us().round() / 1_000.0,
            count: h.count(),
        }
    }
}

/// Resident set size of the server process (`--server-pid`) in KiB.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ServerRss {
    /// The process measured.
    pub pid: u32,
    /// Before the first request.
    pub start_kib: u64,
    /// After the last request; `None` when the process could no longer be read (it exited).
    pub end_kib: Option<u64>,
}

/// Everything one `paygate bench` run measured. Rates are per second of measurement window
/// (warm-up excluded); every rate is also given as a ratio to the bare request rate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// Open or closed loop.
    pub mode: Mode,
    /// Closed loop: number of workers.
    pub concurrency: Option<usize>,
    /// Open loop: intended payments per second.
    pub rate_per_s: Option<u64>,
    /// TCP connections to the server (at most).
    pub connections: usize,
    /// Length of the payment measurement window in seconds.
    pub duration_s: f64,
    /// Warm-up before each phase, not counted, in seconds.
    pub warmup_s: f64,
    /// Length of the bare-request measurement window in seconds (0 = skipped).
    pub bare_duration_s: f64,
    /// Payments answered as the API promises: `approved + declined`.
    pub payments: u64,
    /// Payment intents confirmed.
    pub approved: u64,
    /// Expected card declines (402 `card_error`); not errors.
    pub declined: u64,
    /// Manual-capture payment intents captured.
    pub captures: u64,
    /// Refunds created.
    pub refunds: u64,
    /// `payments / duration_s`.
    pub payments_per_s: f64,
    /// Bare requests (`GET /healthz`) answered 2xx.
    pub bare_requests: u64,
    /// Bare requests per second, closed loop at the same concurrency (`None` when skipped).
    pub bare_requests_per_s: Option<f64>,
    /// `payments_per_s / bare_requests_per_s`; e.g. 0.05 means a payment costs the server as much
    /// as 20 bare requests.
    pub ratio_to_bare: Option<f64>,
    /// Payment request latency (open loop: from the intended send time).
    pub latency_ms: Latency,
    /// Capture and refund latency, each from its own send.
    pub follow_up_latency_ms: Latency,
    /// Bare request latency (`None` when skipped).
    pub bare_latency_ms: Option<Latency>,
    /// Payment-phase errors by kind (captures and refunds included).
    pub errors: ErrorCounts,
    /// Bare-phase errors by kind.
    pub bare_errors: ErrorCounts,
    /// Server RSS at start and end (`--server-pid`).
    pub server_rss: Option<ServerRss>,
    /// Webhook deliveries seen by the built-in receiver (`--webhook-receiver`).
    pub webhooks: Option<crate::webhooks::WebhookReport>,
    /// With several `--url`s: keyed requests sent again, as a load balancer does, after their
    /// connection closed with the request written and no answer (not counted as errors when
    /// the second try is answered).
    pub resent_after_reset: u64,
}

/// The run's shape, as configured.
pub(crate) struct RunShape {
    pub mode: Mode,
    pub concurrency: Option<usize>,
    pub rate_per_s: Option<u64>,
    pub connections: usize,
    pub duration_s: f64,
    pub warmup_s: f64,
    pub bare_duration_s: f64,
}

/// Rates are rounded to 1 decimal and ratios to 4: more digits are noise. Multiplying, rounding
/// and dividing by a power of ten gives the double nearest the decimal, which prints cleanly.
fn round_to(value: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    (value * scale).round() / scale
}

pub(crate) fn summarize(
    shape: RunShape,
    bare: Option<&PhaseStats>,
    payments: &PhaseStats,
    server_rss: Option<ServerRss>,
) -> Summary {
    let per_s = |n: u64, seconds: f64| {
        if seconds > 0.0 {
            n as f64 / seconds
        } else {
            0.0
        }
    };
    let payments_per_s = per_s(payments.approved + payments.declined, shape.duration_s);
    let bare_requests_per_s = bare.map(|b| per_s(b.bare_ok, shape.bare_duration_s));
    let ratio_to_bare = bare_requests_per_s
        .filter(|&b| b > 0.0)
        .map(|b| round_to(payments_per_s / b, 4));
    Summary {
        mode: shape.mode,
        concurrency: shape.concurrency,
        rate_per_s: shape.rate_per_s,
        connections: shape.connections,
        duration_s: shape.duration_s,
        warmup_s: shape.warmup_s,
        bare_duration_s: shape.bare_duration_s,
        payments: payments.approved + payments.declined,
        approved: payments.approved,
        declined: payments.declined,
        captures: payments.captured,
        refunds: payments.refunded,
        payments_per_s: round_to(payments_per_s, 1),
        bare_requests: bare.map_or(0, |b| b.bare_ok),
        bare_requests_per_s: bare_requests_per_s.map(|r| round_to(r, 1)),
        ratio_to_bare,
        latency_ms: Latency::from_histogram(&payments.latency),
        follow_up_latency_ms: Latency::from_histogram(&payments.follow_up_latency),
        bare_latency_ms: bare.map(|b| Latency::from_histogram(&b.latency)),
        errors: payments.errors,
        bare_errors: bare.map(|b| b.errors).unwrap_or_default(),
        server_rss,
        webhooks: None,
        resent_after_reset: 0,
    }
}

/// Writes the report: with `json`, exactly one line holding the [`Summary`] object (so it is the
/// last line of stdout); otherwise the human table.
pub fn write_report(summary: &Summary, json: bool, out: &mut impl Write) -> std::io::Result<()> {
    if json {
        let line = serde_json::to_string(summary).map_err(std::io::Error::other)?;
        writeln!(out, "{line}")
    } else {
        out.write_all(render_human(summary).as_bytes())
    }
}

/// The human report: one row per measured quantity, each rate with its ratio to bare requests.
pub fn render_human(s: &Summary) -> String {
    let mut out = String::new();
    let shape = match s.mode {
        Mode::ClosedLoop => format!("closed loop, {} workers", s.concurrency.unwrap_or(0)),
        Mode::OpenLoop => format!(
            "open loop, {} payments/s intended",
            s.rate_per_s.unwrap_or(0)
        ),
    };
    let _ = writeln!(
        out,
        "paygate bench: {shape}, {} connections, {:.1} s measured after {:.1} s warm-up",
        s.connections, s.duration_s, s.warmup_s
    );
    let _ = writeln!(
        out,
        "\n{:<22}{:>10}{:>12}{:>10}{:>10}{:>10}{:>10}{:>10}",
        "", "count", "per s", "vs bare", "p50 ms", "p95 ms", "p99 ms", "max ms"
    );
    let ratio = |per_s: f64| match s.bare_requests_per_s {
        Some(bare) if bare > 0.0 => format!("{:.4}", per_s / bare),
        _ => "-".to_owned(),
    };
    let mut row = |label: &str, count: u64, seconds: f64, latency: Option<&Latency>| {
        let per_s = if seconds > 0.0 {
            count as f64 / seconds
        } else {
            0.0
        };
        let _ = write!(
            out,
            "{label:<22}{count:>10}{per_s:>12.1}{:>10}",
            ratio(per_s)
        );
        if let Some(l) = latency.filter(|l| l.count > 0) {
            let _ = write!(
                out,
                "{:>10.2}{:>10.2}{:>10.2}{:>10.2}",
                l.p50, l.p95, l.p99, l.max
            );
        }
        out.push('\n');
    };
    if let Some(bare) = &s.bare_latency_ms {
        row(
            "bare GET /healthz",
            s.bare_requests,
            s.bare_duration_s,
            Some(bare),
        );
    }
    row("payments", s.payments, s.duration_s, Some(&s.latency_ms));
    row("  approved", s.approved, s.duration_s, None);
    row("  declined (expected)", s.declined, s.duration_s, None);
    if s.captures + s.refunds > 0 || s.follow_up_latency_ms.count > 0 {
        row("captures", s.captures, s.duration_s, None);
        row("refunds", s.refunds, s.duration_s, None);
        row(
            "  capture/refund",
            s.captures + s.refunds,
            s.duration_s,
            Some(&s.follow_up_latency_ms),
        );
    }
    describe_tail(&mut out, s);
    if let Some(w) = &s.webhooks {
        describe_webhooks(&mut out, w);
    }
    out
}

/// The error and memory lines of the human report.
fn describe_tail(out: &mut String, s: &Summary) {
    let _ = writeln!(out, "\nerrors: {}", describe_errors(&s.errors));
    if s.bare_latency_ms.is_some() {
        let _ = writeln!(out, "bare errors: {}", describe_errors(&s.bare_errors));
    }
    if let Some(rss) = &s.server_rss {
        let _ = writeln!(out, "{}", describe_rss(rss));
    }
}

/// The webhook lines of the human report.
fn describe_webhooks(out: &mut String, w: &crate::webhooks::WebhookReport) {
    let slow = match w.slow_endpoint_ms {
        Some(ms) => format!(
            "; slow endpoint ({ms} ms): {} deliveries",
            w.slow_deliveries
        ),
        None => String::new(),
    };
    let _ = writeln!(
        out,
        "webhooks: healthy endpoint {} deliveries ({:.1}/s during payments){slow}",
        w.healthy_deliveries, w.healthy_deliveries_per_s
    );
    let l = &w.healthy_lag_ms;
    let _ = writeln!(
        out,
        "webhook lag (payment sent -> event received, healthy endpoint): p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms over {} events",
        l.p50, l.p99, l.max, l.count
    );
}

fn describe_errors(errors: &ErrorCounts) -> String {
    let parts: Vec<String> = errors
        .by_kind()
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(name, n)| format!("{name} {n}"))
        .collect();
    if parts.is_empty() {
        "none".to_owned()
    } else {
        parts.join(", ")
    }
}

fn describe_rss(rss: &ServerRss) -> String {
    let mib = |kib: u64| kib as f64 / 1024.0;
    match rss.end_kib {
        Some(end) => format!(
            "server RSS (pid {}): {:.1} MiB at start, {:.1} MiB at end ({:+.1} MiB)",
            rss.pid,
            mib(rss.start_kib),
            mib(end),
            mib(end) - mib(rss.start_kib)
        ),
        None => format!(
            "server RSS (pid {}): {:.1} MiB at start, unreadable at end",
            rss.pid,
            mib(rss.start_kib)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::{ErrorKind, Outcome, Timed};
    use std::time::Duration;

    fn shape() -> RunShape {
        RunShape {
            mode: Mode::ClosedLoop,
            concurrency: Some(4),
            rate_per_s: None,
            connections: 4,
            duration_s: 2.0,
            warmup_s: 0.0,
            bare_duration_s: 1.0,
        }
    }

    fn stats(approved: u64, declined: u64, bare_ok: u64) -> PhaseStats {
        let mut s = PhaseStats::default();
        let ms = Some(Duration::from_millis(1));
        for _ in 0..approved {
            s.record(Timed::Main, ms, Outcome::Approved);
        }
        for _ in 0..declined {
            s.record(Timed::Main, ms, Outcome::Declined);
        }
        for _ in 0..bare_ok {
            s.record(Timed::Main, ms, Outcome::BareOk);
        }
        s
    }

    #[test]
    fn rates_and_the_ratio_to_bare_come_from_counts_and_windows() {
        let mut payments = stats(190, 10, 0);
        payments.record(Timed::Main, None, Outcome::Failed(ErrorKind::Http5xx));
        let bare = stats(0, 0, 1_000);
        let s = summarize(shape(), Some(&bare), &payments, None);
        assert_eq!((s.payments, s.approved, s.declined), (200, 190, 10));
        assert_eq!(s.payments_per_s, 100.0);
        assert_eq!(s.bare_requests_per_s, Some(1_000.0));
        assert_eq!(s.ratio_to_bare, Some(0.1));
        assert_eq!(s.errors.http_5xx, 1);
        assert_eq!(s.latency_ms.count, 200);
        let text = render_human(&s);
        assert!(text.contains("bare GET /healthz"), "{text}");
        assert!(text.contains("0.1000"), "{text}");
        assert!(text.contains("errors: http_5xx 1"), "{text}");
    }

    #[test]
    fn without_a_bare_phase_the_ratio_is_absent() {
        let s = summarize(shape(), None, &stats(1, 0, 0), None);
        assert_eq!(s.bare_requests_per_s, None);
        assert_eq!(s.ratio_to_bare, None);
        let mut json = Vec::new();
        write_report(&s, true, &mut json).expect("write");
        let text = String::from_utf8(json).expect("utf-8");
        assert_eq!(text.lines().count(), 1);
        assert!(text.contains(r#""bare_requests_per_s":null"#), "{text}");
        assert!(render_human(&s).contains("errors: none"));
    }

    #[test]
    fn rounded_rates_and_ratios_print_without_float_noise() {
        assert_eq!(round_to(0.239_200_000_000_000_02, 4).to_string(), "0.2392");
        assert_eq!(round_to(2_469.149, 1).to_string(), "2469.1");
        assert_eq!(round_to(1.0 / 3.0, 4).to_string(), "0.3333");
    }

    #[test]
    fn rss_line_shows_start_end_and_growth() {
        let rss = ServerRss {
            pid: 7,
            start_kib: 10_240,
            end_kib: Some(11_264),
        };
        assert_eq!(
            describe_rss(&rss),
            "server RSS (pid 7): 10.0 MiB at start, 11.0 MiB at end (+1.0 MiB)"
        );
    }
}
