//! Turns [`BenchArgs`] into checked settings and the shared run context (parse, don't validate).
//!
//! clap already enforces the ranges on the command line; they are checked again here because
//! `BenchArgs` has public fields and `run` may be called with a value built in code.

use crate::driver::{Ctx, Paths, PhaseSpec, Shape, Workload};
use crate::failover::{Target, Targets};
use crate::http::{ClientConfig, HttpClient};
use crate::report::{Mode, RunShape};
use crate::workload::{self, Bodies, Mix};
use crate::{
    BenchArgs, BenchError, DEFAULT_CONCURRENCY, MAX_AMOUNT_MINOR, MAX_CONCURRENCY, MAX_CONNECTIONS,
    MAX_IN_FLIGHT, MAX_RATE_PER_S, MAX_REQUEST_TIMEOUT_MS,
};
use hyper::Uri;
use hyper::header::HeaderValue;
use std::fmt::Display;
use std::net::SocketAddr;
use std::ops::RangeInclusive;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

/// Every operation makes at most three requests (payment, capture, refund).
const MAX_REQUESTS_PER_OP: u32 = 3;

/// The checked, copyable part of the arguments.
pub(crate) struct Settings {
    pub url: String,
    pub payment_shape: Shape,
    /// Closed loop at the payment concurrency (open loop: at the connection count). A bare
    /// phase at a fixed rate would only echo the rate back, not the server's capacity.
    pub bare_concurrency: usize,
    pub connections: usize,
    pub duration: Duration,
    pub warmup: Duration,
    pub bare_duration: Duration,
    pub request_timeout: Duration,
    pub server_pid: Option<u32>,
}

impl Settings {
    /// The spec of a phase; `None` for a skipped bare phase.
    pub fn phase(&self, workload: Workload, progress: bool) -> Option<PhaseSpec> {
        let (shape, measure) = match workload {
            Workload::Bare if self.bare_duration.is_zero() => return None,
            Workload::Bare => (
                Shape::Closed {
                    concurrency: self.bare_concurrency,
                },
                self.bare_duration,
            ),
            Workload::Payments => (self.payment_shape, self.duration),
        };
        let drain_limit = self.request_timeout * MAX_REQUESTS_PER_OP;
        Some(PhaseSpec {
            workload,
            shape,
            warmup: self.warmup,
            measure,
            drain_limit,
            progress,
        })
    }

    pub fn run_shape(&self) -> RunShape {
        let (mode, concurrency, rate_per_s) = match self.payment_shape {
            Shape::Closed { concurrency } => (Mode::ClosedLoop, Some(concurrency), None),
            Shape::Open { rate_per_s, .. } => (Mode::OpenLoop, None, Some(rate_per_s)),
        };
        RunShape {
            mode,
            concurrency,
            rate_per_s,
            connections: self.connections,
            duration_s: self.duration.as_secs_f64(),
            warmup_s: self.warmup.as_secs_f64(),
            bare_duration_s: self.bare_duration.as_secs_f64(),
        }
    }
}

fn invalid(field: &'static str, rule: impl Into<String>) -> BenchError {
    BenchError::InvalidArgument {
        field,
        rule: rule.into(),
    }
}

fn check_range<T: PartialOrd + Display>(
    field: &'static str,
    value: T,
    range: RangeInclusive<T>,
) -> Result<T, BenchError> {
    if range.contains(&value) {
        Ok(value)
    } else {
        Err(invalid(
            field,
            format!("{value} is outside {}..={}", range.start(), range.end()),
        ))
    }
}

/// Checks the arguments, resolves the host and builds the shared context.
pub(crate) async fn build(args: &BenchArgs) -> Result<(Settings, Ctx), BenchError> {
    let (payment_shape, bare_concurrency, connections) = shape(args)?;
    let max_duration = Duration::from_millis(crate::duration::MAX_DURATION_MS);
    for (field, value) in [
        ("duration", args.duration),
        ("warmup", args.warmup),
        ("bare_duration", args.bare_duration),
    ] {
        if value > max_duration {
            return Err(invalid(field, "must not be longer than 24h"));
        }
    }
    if args.duration.is_zero() {
        return Err(invalid("duration", "must be longer than 0"));
    }
    let timeout_ms = check_range(
        "request_timeout_ms",
        args.request_timeout_ms,
        1..=MAX_REQUEST_TIMEOUT_MS,
    )?;
    let (targets, prefix) = targets(&args.url).await?;
    let settings = Settings {
        url: args.url.join(" "),
        payment_shape,
        bare_concurrency,
        connections,
        duration: args.duration,
        warmup: args.warmup,
        bare_duration: args.bare_duration,
        request_timeout: Duration::from_millis(timeout_ms),
        server_pid: args.server_pid,
    };
    let readyz = Uri::try_from(format!("{prefix}/readyz"))
        .map_err(|e| invalid("url", format!("bad path prefix {prefix:?}: {e}")))?;
    let client = HttpClient::new(ClientConfig {
        targets: Targets::start(targets, readyz, settings.request_timeout),
        authorization: authorization(&args.secret_key)?,
        connections,
        request_timeout: settings.request_timeout,
    });
    let ctx = Ctx {
        client,
        paths: paths(prefix)?,
        bodies: Bodies::new(
            amount(args.amount)?,
            &currency(&args.currency)?,
            workload::card_exp_year(),
        ),
        mix: mix(args)?,
        run_id: random_run_id(),
        next_seq: AtomicU64::new(0),
        stamp: args.webhook_receiver,
    };
    Ok((settings, ctx))
}

/// Each `--url` resolved, and their common path prefix.
async fn targets(urls: &[String]) -> Result<(Vec<Target>, String), BenchError> {
    let mut targets = Vec::with_capacity(urls.len());
    let mut prefix: Option<String> = None;
    for url in urls {
        let base = BaseUrl::parse(url)?;
        match &prefix {
            Some(p) if *p != base.prefix => {
                return Err(invalid("url", "every --url must have the same path"));
            }
            _ => prefix = Some(base.prefix),
        }
        targets.push(Target {
            addr: resolve(&base.host_port, url).await?,
            host: base.authority,
        });
    }
    let prefix = prefix.ok_or_else(|| invalid("url", "at least one is required"))?;
    Ok((targets, prefix))
}

/// `(payment shape, bare concurrency, connections)`.
fn shape(args: &BenchArgs) -> Result<(Shape, usize, usize), BenchError> {
    let connections = match args.connections {
        Some(n) => Some(check_range("connections", n, 1..=MAX_CONNECTIONS)?),
        None => None,
    };
    match (args.rate, args.concurrency) {
        (Some(_), Some(_)) => Err(invalid(
            "rate",
            "give either --rate (open loop) or --concurrency (closed loop)",
        )),
        (Some(rate), None) => {
            let rate_per_s = check_range("rate", rate, 1..=MAX_RATE_PER_S)?;
            let max_in_flight =
                check_range("max_in_flight", args.max_in_flight, 1..=MAX_IN_FLIGHT)?;
            let connections = connections.unwrap_or(DEFAULT_CONCURRENCY);
            Ok((
                Shape::Open {
                    rate_per_s,
                    max_in_flight,
                },
                connections,
                connections,
            ))
        }
        (None, concurrency) => {
            let concurrency = check_range(
                "concurrency",
                concurrency.unwrap_or(DEFAULT_CONCURRENCY),
                1..=MAX_CONCURRENCY,
            )?;
            let connections = connections.unwrap_or(concurrency.min(MAX_CONNECTIONS));
            Ok((Shape::Closed { concurrency }, concurrency, connections))
        }
    }
}

fn mix(args: &BenchArgs) -> Result<Mix, BenchError> {
    Ok(Mix {
        decline_pct: check_range("decline_ratio_pct", args.decline_ratio_pct, 0..=100)?,
        capture_pct: check_range("capture_ratio_pct", args.capture_ratio_pct, 0..=100)?,
        refund_pct: check_range("refund_ratio_pct", args.refund_ratio_pct, 0..=100)?,
    })
}

fn amount(minor: u64) -> Result<u64, BenchError> {
    check_range("amount", minor, 1..=MAX_AMOUNT_MINOR)
}

/// Three ASCII letters, sent lower-case as Stripe does.
fn currency(text: &str) -> Result<String, BenchError> {
    if text.len() == 3 && text.bytes().all(|b| b.is_ascii_alphabetic()) {
        Ok(text.to_ascii_lowercase())
    } else {
        Err(invalid(
            "currency",
            format!("{text:?} is not a three-letter ISO 4217 code"),
        ))
    }
}

/// Only test-mode secret keys: the bench sends test cards and must never create live charges.
/// The key itself never appears in an error message.
fn authorization(secret_key: &str) -> Result<HeaderValue, BenchError> {
    if !secret_key.starts_with("sk_test_") {
        return Err(invalid(
            "secret_key",
            "must be a test-mode secret key (sk_test_...)",
        ));
    }
    if !secret_key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(invalid(
            "secret_key",
            "must be printable ASCII without spaces",
        ));
    }
    let mut value = HeaderValue::try_from(format!("Bearer {secret_key}"))
        .map_err(|_| invalid("secret_key", "must be printable ASCII without spaces"))?;
    value.set_sensitive(true);
    Ok(value)
}

/// The parts of `--url` the client needs.
struct BaseUrl {
    host_port: String,
    authority: HeaderValue,
    /// Path prefix without a trailing slash ("" for the root).
    prefix: String,
}

impl BaseUrl {
    fn parse(url: &str) -> Result<Self, BenchError> {
        let uri: Uri = url
            .parse()
            .map_err(|e| invalid("url", format!("{url:?} is not a URL: {e}")))?;
        match uri.scheme_str() {
            Some("http") => {}
            Some("https") => {
                return Err(invalid(
                    "url",
                    "https is not supported: the bench speaks plain HTTP/1.1",
                ));
            }
            _ => return Err(invalid("url", format!("{url:?} must start with http://"))),
        }
        let authority = uri
            .authority()
            .ok_or_else(|| invalid("url", "needs a host"))?;
        if authority.as_str().contains('@') {
            return Err(invalid(
                "url",
                "must not carry credentials; use --secret-key",
            ));
        }
        if uri.query().is_some() {
            return Err(invalid("url", "must not have a query string"));
        }
        let host_port = format!(
            "{}:{}",
            authority.host(),
            authority.port_u16().unwrap_or(80)
        );
        let authority =
            HeaderValue::from_str(authority.as_str()).map_err(|_| invalid("url", "bad host"))?;
        let prefix = uri.path().trim_end_matches('/').to_owned();
        Ok(Self {
            host_port,
            authority,
            prefix,
        })
    }
}

async fn resolve(host_port: &str, url: &str) -> Result<SocketAddr, BenchError> {
    let unreachable = |reason: String| BenchError::Unreachable {
        url: url.to_owned(),
        reason,
    };
    let mut addrs = tokio::net::lookup_host(host_port)
        .await
        .map_err(|e| unreachable(format!("cannot resolve {host_port}: {e}")))?;
    addrs
        .next()
        .ok_or_else(|| unreachable(format!("{host_port} resolves to no address")))
}

fn paths(prefix: String) -> Result<Paths, BenchError> {
    let uri = |suffix: &str| {
        Uri::try_from(format!("{prefix}{suffix}"))
            .map_err(|e| invalid("url", format!("bad path prefix {prefix:?}: {e}")))
    };
    Ok(Paths {
        payment_intents: uri("/v1/payment_intents")?,
        refunds: uri("/v1/refunds")?,
        healthz: uri("/healthz")?,
        prefix,
    })
}

/// Random per run (std's randomly keyed SipHash, plus time and pid), so idempotency keys never
/// repeat an earlier run's; no RNG crate needed for 64 bits of uniqueness.
fn random_run_id() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    hasher.write_u128(now.as_nanos());
    hasher.write_u32(std::process::id());
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_keeps_host_port_and_path_prefix() {
        let base = BaseUrl::parse("http://localhost:8080/api/").expect("valid");
        assert_eq!(base.host_port, "localhost:8080");
        assert_eq!(base.authority, "localhost:8080");
        assert_eq!(base.prefix, "/api");
        assert_eq!(
            BaseUrl::parse("http://127.0.0.1").expect("valid").host_port,
            "127.0.0.1:80"
        );
        assert_eq!(
            BaseUrl::parse("http://[::1]:9000")
                .expect("valid")
                .host_port,
            "[::1]:9000"
        );
    }

    #[test]
    fn base_url_rejects_what_the_client_cannot_speak() {
        for (url, rule) in [
            ("https://x", "https is not supported"),
            ("ftp://x", "must start with http://"),
            ("localhost:8080", "must start with http://"),
            ("http://u:p@x", "credentials"),
            ("http://x/?a=1", "query"),
        ] {
            let message = BaseUrl::parse(url)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(
                message.starts_with("url: ") && message.contains(rule),
                "{url}: {message}"
            );
        }
    }

    #[test]
    fn only_test_mode_secret_keys_are_accepted_and_never_echoed() {
        let value = authorization("sk_test_abc").expect("test key");
        assert_eq!(value, "Bearer sk_test_abc");
        assert!(value.is_sensitive());
        for key in ["sk_live_secret123", "pk_test_x", "sk_test_a b"] {
            let message = authorization(key).expect_err(key).to_string();
            assert!(message.starts_with("secret_key: "), "{message}");
            assert!(!message.contains(key), "the key leaked: {message}");
        }
    }

    #[test]
    fn currency_is_three_letters_sent_lower_case() {
        assert_eq!(currency("KRW").expect("valid"), "krw");
        assert!(currency("kr").is_err());
        assert!(currency("k1w").is_err());
    }
}
