//! `paygate bench`: a load generator for paygate's Stripe-compatible merchant API.
//!
//! Each operation creates and confirms a card payment in one call
//! (`POST /v1/payment_intents` with `confirm=true`), with a deterministic share of the
//! generic-decline test card (5 % by default) and optional manual captures and refunds.
//!
//! - Closed loop (`--concurrency C`, default 64): C workers, each sending its next payment when
//!   the last one is answered.
//! - Open loop (`--rate N`): N payments per second whatever the server does; latency counts from
//!   the intended send time, so queueing is measured rather than hidden (coordinated omission).
//!
//! Before the payments, a bare phase measures `GET /healthz` (closed loop, same concurrency) so
//! every report carries payments/s ÷ bare requests/s: a number comparable across machines.
//!
//! Layout: [`duration`] (argument parsing), `workload` (payment mix, bodies, answer mapping;
//! pure), `http` (keep-alive HTTP/1.1 pool), `failover` (several `--url`s), `driver`
//! (open/closed loops), `histogram`, `stats`, `report` ([`Summary`], the human table and the
//! JSON line), `progress`, `rss`.

mod driver;
pub mod duration;
mod failover;
mod histogram;
mod http;
mod plan;
mod progress;
mod report;
mod rss;
mod stats;
mod webhooks;
mod workload;

pub use duration::{DurationError, parse_duration};
pub use report::{Latency, Mode, ServerRss, Summary, render_human, write_report};
pub use stats::ErrorCounts;
pub use webhooks::WebhookReport;

use clap::builder::RangedU64ValueParser;
use driver::Workload;
use http::Answer;
use hyper::Uri;
use stats::ErrorKind;
use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::time::Duration;

/// Workers when neither `--rate` nor `--concurrency` is given; also the open-loop connections.
pub const DEFAULT_CONCURRENCY: usize = 64;
/// Upper bound of `--concurrency`.
pub const MAX_CONCURRENCY: usize = 10_000;
/// Upper bound of `--connections` (and of its default): stays under common fd limits.
pub const MAX_CONNECTIONS: usize = 1_024;
/// Upper bound of `--rate`.
pub const MAX_RATE_PER_S: u64 = 1_000_000;
/// Upper bound of `--max-in-flight`.
pub const MAX_IN_FLIGHT: usize = 100_000;
/// Upper bound of `--amount` (minor units).
pub const MAX_AMOUNT_MINOR: u64 = 999_999_999_999;
/// Upper bound of `--request-timeout-ms`.
pub const MAX_REQUEST_TIMEOUT_MS: u64 = 600_000;

/// `paygate bench` arguments.
#[derive(Clone, clap::Args)]
pub struct BenchArgs {
    /// Base URL of the merchant API, e.g. http://127.0.0.1:8080 (plain HTTP/1.1). Repeat it to
    /// spread the load over several instances as a load balancer does: round robin, a refused
    /// connection retried on the next instance, and an instance whose `/readyz` does not
    /// answer 200 (draining) taken out until it does.
    #[arg(long, required = true)]
    pub url: Vec<String>,
    /// Test-mode secret key (sk_test_...), sent as `Authorization: Bearer`.
    #[arg(long, env = "PAYGATE_BENCH_SECRET_KEY", hide_env_values = true)]
    pub secret_key: String,
    /// Measured length of the payment phase, e.g. 30s, 2m, 500ms.
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    pub duration: Duration,
    /// Open loop: payments per second at fixed intended send times.
    #[arg(long, conflicts_with = "concurrency",
          value_parser = clap::value_parser!(u64).range(1..=MAX_RATE_PER_S))]
    pub rate: Option<u64>,
    /// Closed loop: number of concurrent workers [default: 64 when --rate is not given].
    #[arg(long, value_parser = RangedU64ValueParser::<usize>::new().range(1..=MAX_CONCURRENCY as u64))]
    pub concurrency: Option<usize>,
    /// ISO 4217 currency code of the payments.
    #[arg(long, default_value = "krw")]
    pub currency: String,
    /// Amount of each payment in minor units.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..=MAX_AMOUNT_MINOR))]
    pub amount: u64,
    /// Percent of approved payments made with capture_method=manual and then captured.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u8).range(0..=100))]
    pub capture_ratio_pct: u8,
    /// Percent of approved payments refunded afterwards.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u8).range(0..=100))]
    pub refund_ratio_pct: u8,
    /// Percent of payments made with the always-declining test card (every 20th at 5).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u8).range(0..=100))]
    pub decline_ratio_pct: u8,
    /// Measured length of the bare `GET /healthz` phase run before the payments; 0 skips it.
    #[arg(long, default_value = "5s", value_parser = parse_duration)]
    pub bare_duration: Duration,
    /// Print one JSON summary object as the last line of stdout instead of the table.
    #[arg(long)]
    pub json: bool,
    /// TCP connections to the server [default: the concurrency (64 in open loop), at most 1024].
    #[arg(long, value_parser = RangedU64ValueParser::<usize>::new().range(1..=MAX_CONNECTIONS as u64))]
    pub connections: Option<usize>,
    /// Report this process's RSS (from /proc/PID/status) at start and end: the server's pid.
    #[arg(long)]
    pub server_pid: Option<u32>,
    /// Unmeasured warm-up before each phase.
    #[arg(long, default_value = "2s", value_parser = parse_duration)]
    pub warmup: Duration,
    /// Per-request limit for connect, and for send plus reading the whole response.
    #[arg(long, default_value_t = 10_000,
          value_parser = clap::value_parser!(u64).range(1..=MAX_REQUEST_TIMEOUT_MS))]
    pub request_timeout_ms: u64,
    /// Open loop: outstanding payments beyond which new ones count as client_overload.
    #[arg(long, default_value_t = 10_000,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=MAX_IN_FLIGHT as u64))]
    pub max_in_flight: usize,
    /// Start a local webhook receiver and register it (all events) for the run: reports the
    /// lag from payment to event received and deliveries per second.
    #[arg(long)]
    pub webhook_receiver: bool,
    /// With --webhook-receiver: also register a slow endpoint answering after this many ms
    /// (a slow merchant's receiver), to measure that the fast one is not held back.
    #[arg(long, requires = "webhook_receiver",
          value_parser = clap::value_parser!(u64).range(1..=MAX_REQUEST_TIMEOUT_MS))]
    pub slow_endpoint_ms: Option<u64>,
}

impl std::fmt::Debug for BenchArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BenchArgs")
            .field("url", &self.url)
            .field("secret_key", &"<redacted>")
            .field("duration", &self.duration)
            .field("rate", &self.rate)
            .field("concurrency", &self.concurrency)
            .field("connections", &self.connections)
            .field("json", &self.json)
            .finish_non_exhaustive()
    }
}

/// Why a bench run could not start or finish.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// An argument breaks a rule; names the field and the rule.
    #[error("{field}: {rule}")]
    InvalidArgument {
        /// The argument (field name of [`BenchArgs`]).
        field: &'static str,
        /// The rule it breaks.
        rule: String,
    },
    /// No TCP connection to the server.
    #[error("cannot reach {url}: {reason}")]
    Unreachable {
        /// The `--url` given.
        url: String,
        /// What failed.
        reason: String,
    },
    /// The server refused the secret key before the run started.
    #[error(
        "secret_key: the server answered HTTP {status} to GET /v1/payment_intents with this key"
    )]
    KeyRejected {
        /// 401 or 403.
        status: u16,
    },
    /// `--server-pid` names a process whose RSS cannot be read.
    #[error("server_pid: cannot read VmRSS from /proc/{pid}/status: {source}")]
    ServerRss {
        /// The pid given.
        pid: u32,
        /// The read or parse error.
        source: std::io::Error,
    },
    /// The webhook receiver could not start or register its endpoints.
    #[error("webhook_receiver: {0}")]
    WebhookReceiver(String),
    /// Writing the report to stdout failed.
    #[error("writing the report to stdout: {0}")]
    Report(#[source] std::io::Error),
}

/// Runs the bench and prints the human report (or, with `--json`, one JSON line) to stdout.
/// The progress line is drawn on stderr when stdout is a terminal and `--json` is off.
pub async fn run(args: BenchArgs) -> Result<Summary, BenchError> {
    let progress = !args.json && std::io::stdout().is_terminal();
    let summary = measure(&args, progress).await?;
    let mut stdout = std::io::stdout().lock();
    write_report(&summary, args.json, &mut stdout)
        .and_then(|()| stdout.flush())
        .map_err(BenchError::Report)?;
    Ok(summary)
}

/// Runs the bench without printing a report: preflight, bare phase, payment phase.
/// `progress` draws the live line on stderr.
pub async fn measure(args: &BenchArgs, progress: bool) -> Result<Summary, BenchError> {
    let (settings, ctx) = plan::build(args).await?;
    let rss_start = match settings.server_pid {
        Some(pid) => Some((
            pid,
            rss::read_rss_kib(pid).map_err(|source| BenchError::ServerRss { pid, source })?,
        )),
        None => None,
    };
    let ctx = Arc::new(ctx);
    preflight(&ctx, &settings.url, settings.request_timeout).await?;
    let bare = match settings.phase(Workload::Bare, progress) {
        Some(spec) => Some(driver::run_phase(ctx.clone(), spec).await),
        None => None,
    };
    let mut receiver = match args.webhook_receiver {
        true => Some(
            webhooks::Receiver::start(&ctx, args.slow_endpoint_ms)
                .await
                .map_err(BenchError::WebhookReceiver)?,
        ),
        false => None,
    };
    if let Some(r) = &mut receiver {
        r.phase_started();
    }
    let spec = settings
        .phase(Workload::Payments, progress)
        .expect("the payment phase always runs");
    let payments = driver::run_phase(ctx.clone(), spec).await;
    let phase_s = (args.warmup + args.duration).as_secs_f64();
    let webhooks = match receiver {
        Some(r) => Some(r.finish(&ctx, phase_s).await),
        None => None,
    };
    let server_rss = rss_start.map(|(pid, start_kib)| ServerRss {
        pid,
        start_kib,
        end_kib: rss::read_rss_kib(pid).ok(),
    });
    let mut summary = report::summarize(settings.run_shape(), bare.as_ref(), &payments, server_rss);
    summary.webhooks = webhooks;
    summary.resent_after_reset = ctx.client.resent_after_reset();
    Ok(summary)
}

/// Fails fast when the server is unreachable or refuses the key, instead of reporting a whole
/// run of `connect` or `http_4xx` errors. Other answers are left to the measured run.
async fn preflight(
    ctx: &driver::Ctx,
    url: &str,
    request_timeout: Duration,
) -> Result<(), BenchError> {
    if let Err(ErrorKind::Connect) = ctx.client.get(ctx.paths.healthz.clone(), false).await {
        let reason = format!(
            "TCP connect refused or not done within {} ms",
            request_timeout.as_millis()
        );
        return Err(BenchError::Unreachable {
            url: url.to_owned(),
            reason,
        });
    }
    let probe = Uri::try_from(format!("{}/v1/payment_intents?limit=1", ctx.paths.prefix))
        .expect("the prefix was validated as a URI path");
    match ctx.client.get(probe, true).await {
        Ok(Answer {
            status: status @ (401 | 403),
            ..
        }) => Err(BenchError::KeyRejected { status }),
        _ => Ok(()),
    }
}
