//! `--webhook-receiver`: a local HTTP/1.1 receiver for the gateway's webhooks, registered as
//! endpoints through the API before the payments and disabled after them.
//!
//! A fast endpoint answers at once; with `--slow-endpoint-ms N` a second endpoint answers
//! after N ms (a slow merchant's receiver). Each payment carries `metadata[bench_sent_ms]`, so
//! the receiver measures the lag from sending the payment to receiving its
//! `payment_intent.*` events, and counts deliveries per second to the fast endpoint.

use crate::driver::Ctx;
use crate::histogram::Histogram;
use crate::report::Latency;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, Uri};
use hyper_util::rt::TokioIo;
use serde::Serialize;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Longest a webhook body is read (the gateway's events are far smaller).
const BODY_BYTES_MAX: usize = 1 << 20;
/// After the payments, how long late deliveries are still counted in the lag.
pub const DRAIN: Duration = Duration::from_secs(3);

/// What the receiver saw.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WebhookReport {
    /// Deliveries received by the fast endpoint during the payment phase, per second.
    pub healthy_deliveries_per_s: f64,
    /// Deliveries received by the fast endpoint in all (phase and drain).
    pub healthy_deliveries: u64,
    /// The slow endpoint's answer time in ms (`None`: no slow endpoint).
    pub slow_endpoint_ms: Option<u64>,
    /// Deliveries the slow endpoint received.
    pub slow_deliveries: u64,
    /// Payment sent → its `payment_intent.*` event received by the fast endpoint.
    pub healthy_lag_ms: Latency,
}

#[derive(Default)]
struct Seen {
    deliveries: AtomicU64,
    lag: Mutex<Histogram>,
}

/// The running receiver and the endpoints registered for it.
pub struct Receiver {
    fast: Arc<Seen>,
    slow: Arc<Seen>,
    slow_ms: Option<u64>,
    endpoints: Vec<String>,
    phase_start: u64,
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// The form field added to every payment body.
pub fn stamp() -> String {
    format!("&metadata[bench_sent_ms]={}", now_ms())
}

async fn handle(
    req: Request<hyper::body::Incoming>,
    fast: Arc<Seen>,
    slow: Arc<Seen>,
    slow_ms: u64,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let is_slow = req.uri().path() == "/slow";
    let body = match http_body_util::Limited::new(req.into_body(), BODY_BYTES_MAX)
        .collect()
        .await
    {
        Ok(b) => b.to_bytes(),
        Err(_) => Bytes::new(),
    };
    let received = now_ms();
    let seen = if is_slow { &slow } else { &fast };
    seen.deliveries.fetch_add(1, Ordering::Relaxed);
    if let Ok(event) = serde_json::from_slice::<serde_json::Value>(&body)
        && let Some(sent) = event["data"]["object"]["metadata"]["bench_sent_ms"]
            .as_str()
            .and_then(|s| s.parse::<u64>().ok())
        && event["type"]
            .as_str()
            .is_some_and(|t| t.starts_with("payment_intent."))
    {
        let lag_us = received.saturating_sub(sent).saturating_mul(1_000);
        seen.lag
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .record_us(lag_us);
    }
    if is_slow {
        tokio::time::sleep(Duration::from_millis(slow_ms)).await;
    }
    Ok(Response::new(Full::new(Bytes::from_static(b"ok"))))
}

async fn listen(fast: Arc<Seen>, slow: Arc<Seen>, slow_ms: u64) -> std::io::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (fast, slow) = (fast.clone(), slow.clone());
            tokio::spawn(async move {
                let svc = service_fn(move |req| handle(req, fast.clone(), slow.clone(), slow_ms));
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(tcp), svc)
                    .await;
            });
        }
    });
    Ok(addr)
}

async fn register(ctx: &Ctx, url: &str, tag: &str) -> Result<String, String> {
    let uri = Uri::try_from(format!("{}/v1/webhook_endpoints", ctx.paths.prefix))
        .map_err(|e| e.to_string())?;
    let body = format!("url={url}&enabled_events[]=*&description=paygate+bench+{tag}");
    let key = ctx.idempotency_key(u64::MAX, tag);
    let answer = ctx
        .client
        .post_form(uri, Bytes::from(body), key)
        .await
        .map_err(|e| format!("{e:?}"))?;
    let v: serde_json::Value = serde_json::from_slice(&answer.body).unwrap_or_default();
    match v["id"].as_str() {
        Some(id) if answer.status == 200 => Ok(id.to_string()),
        _ => Err(format!(
            "HTTP {}: {}",
            answer.status,
            String::from_utf8_lossy(&answer.body)
        )),
    }
}

impl Receiver {
    /// Starts the receiver and registers its endpoints (fast, and slow if asked).
    pub async fn start(ctx: &Ctx, slow_ms: Option<u64>) -> Result<Receiver, String> {
        let (fast, slow) = (Arc::new(Seen::default()), Arc::new(Seen::default()));
        let addr = listen(fast.clone(), slow.clone(), slow_ms.unwrap_or(0))
            .await
            .map_err(|e| format!("cannot listen: {e}"))?;
        let mut endpoints = vec![register(ctx, &format!("http://{addr}/fast"), "fast").await?];
        if slow_ms.is_some() {
            endpoints.push(register(ctx, &format!("http://{addr}/slow"), "slow").await?);
        }
        Ok(Receiver {
            fast,
            slow,
            slow_ms,
            endpoints,
            phase_start: 0,
        })
    }

    /// Marks the start of the measured payment phase.
    pub fn phase_started(&mut self) {
        self.phase_start = self.fast.deliveries.load(Ordering::Relaxed);
    }

    /// Ends the run: counts the phase, waits [`DRAIN`] for late deliveries, disables the
    /// endpoints so later runs do not deliver to a receiver that is gone.
    pub async fn finish(self, ctx: &Ctx, phase_s: f64) -> WebhookReport {
        let in_phase = self.fast.deliveries.load(Ordering::Relaxed) - self.phase_start;
        tokio::time::sleep(DRAIN).await;
        for id in &self.endpoints {
            if let Ok(uri) =
                Uri::try_from(format!("{}/v1/webhook_endpoints/{id}", ctx.paths.prefix))
            {
                let key = ctx.idempotency_key(u64::MAX, id);
                let _ = ctx
                    .client
                    .post_form(uri, Bytes::from_static(b"disabled=true"), key)
                    .await;
            }
        }
        let lag = self.fast.lag.lock().unwrap_or_else(|p| p.into_inner());
        WebhookReport {
            healthy_deliveries_per_s: if phase_s > 0.0 {
                (in_phase as f64 / phase_s * 10.0).round() / 10.0
            } else {
                0.0
            },
            healthy_deliveries: self.fast.deliveries.load(Ordering::Relaxed),
            slow_endpoint_ms: self.slow_ms,
            slow_deliveries: self.slow.deliveries.load(Ordering::Relaxed),
            healthy_lag_ms: Latency::from_histogram(&lag),
        }
    }
}
