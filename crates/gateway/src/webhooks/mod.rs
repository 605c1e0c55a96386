//! Webhook delivery: the outbox dispatcher fans events out to matching endpoints, workers claim
//! due deliveries (a lease, so two processes never send the same attempt), POST them signed
//! with Stripe's scheme, and record each attempt. Failures back off exponentially for up to
//! `webhook_retry_window_s` (3 days by default).

use crate::error::{ApiError, ApiResult};
use crate::ids::now;
use crate::state::AppState;
use bytes::Bytes;
use hmac::{Hmac, KeyInit, Mac};
use http_body_util::Full;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use paygate_store::{AttemptLogRow, DeliveryJob, Op, WriteUnit};
use sha2::Sha256;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Deliveries claimed per poll.
const CLAIM_BATCH: usize = 32;
/// Events fanned out per poll.
const DISPATCH_BATCH: usize = 256;
/// How long a claimed delivery is leased to this worker.
const LEASE_S: i64 = 60;
/// Pause between rounds when idle or when the last round drained the backlog.
const POLL_MS: u64 = 200;
/// First retry delay; doubles per attempt up to `BACKOFF_MAX_S`.
const BACKOFF_BASE_S: i64 = 30;
const BACKOFF_MAX_S: i64 = 12 * 3600;
/// Response bodies are not read beyond this.
const MAX_ERROR_CHARS: usize = 200;

/// `Stripe-Signature` header value: `t=<unix>,v1=<hex HMAC-SHA256(secret, "t.body")>`.
pub fn signature_header(secret: &str, t: i64, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes())
        .expect("HMAC takes any key length");
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

/// Delay before attempt `attempt_no + 1`.
pub fn backoff_s(attempt_no: i64) -> i64 {
    let exp = attempt_no.clamp(0, 20) as u32;
    BACKOFF_BASE_S
        .saturating_mul(1_i64 << exp)
        .min(BACKOFF_MAX_S)
}

/// Refuses endpoint URLs that are not http(s), and — in live mode unless allowed — ones on
/// loopback, private, link-local or unspecified addresses (SSRF guard).
pub fn check_url(url: &str, livemode: bool, allow_private: bool) -> ApiResult<()> {
    let parsed = url::Url::parse(url)
        .map_err(|e| ApiError::bad_param("url", format!("not a URL ({e}).")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(ApiError::bad_param(
            "url",
            "the URL must use http or https.",
        ));
    }
    if livemode && parsed.scheme() != "https" && !allow_private {
        return Err(ApiError::bad_param(
            "url",
            "live-mode webhook endpoints must use https.",
        ));
    }
    let host = parsed
        .host_str()
        .ok_or_else(|| ApiError::bad_param("url", "the URL has no host."))?;
    if livemode && !allow_private && is_private_host(host) {
        return Err(ApiError::bad_param(
            "url",
            "live-mode webhook endpoints may not point at loopback or private networks.",
        ));
    }
    Ok(())
}

fn is_private_host(host: &str) -> bool {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    if h.eq_ignore_ascii_case("localhost") || h.ends_with(".localhost") || h.ends_with(".internal")
    {
        return true;
    }
    match h.parse::<IpAddr>() {
        Ok(IpAddr::V4(ip)) => {
            ip.is_loopback()
                || ip.is_private()
                || ip.is_link_local()
                || ip.is_unspecified()
                || ip.is_broadcast()
                || ip.octets()[0] == 100 && (64..128).contains(&ip.octets()[1])
        }
        Ok(IpAddr::V6(ip)) => {
            ip.is_loopback()
                || ip.is_unspecified()
                || (ip.segments()[0] & 0xfe00) == 0xfc00
                || (ip.segments()[0] & 0xffc0) == 0xfe80
        }
        Err(_) => false,
    }
}

/// HTTP/1.1 client for webhook deliveries: https (rustls, ring, Mozilla's roots from
/// webpki-roots) and, for test-mode and allowed private endpoints, plain http.
type HttpClient = Client<HttpsConnector<HttpConnector>, Full<Bytes>>;

fn client(timeout_ms: u64) -> HttpClient {
    let mut http = HttpConnector::new();
    http.set_connect_timeout(Some(Duration::from_millis(timeout_ms)));
    http.enforce_http(false);
    let tls = rustls_config();
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http()
        .enable_http1()
        .wrap_connector(http);
    Client::builder(TokioExecutor::new()).build(https)
}

fn rustls_config() -> rustls::ClientConfig {
    let roots = rustls::RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("ring supports TLS 1.2 and 1.3 (a failure is a build defect)")
        .with_root_certificates(roots)
        .with_no_client_auth()
}

/// Runs dispatch and delivery until `shutdown` fires.
pub async fn run(st: Arc<AppState>, mut shutdown: tokio::sync::watch::Receiver<bool>) {
    let client = client(st.cfg.webhook_timeout_ms);
    let worker = format!("{}-{}", st.cfg.node_id, std::process::id());
    loop {
        let busy = tick(&st, &client, &worker).await;
        if *shutdown.borrow() {
            return;
        }
        if !busy {
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(POLL_MS)) => {}
                _ = shutdown.changed() => return,
            }
        }
    }
}

/// One round; true when a batch came back full, so more work is waiting and the next round
/// starts at once. A partial batch means the backlog is drained: the next round waits
/// `POLL_MS`. Each dispatch or claim is its own write transaction (its own fsync on SQLite,
/// outside the group commit), so starting a round as soon as any event was pending added a
/// small transaction between group commits under load (a fifth of the writer's fsyncs at
/// 600 payments/s, see docs/BENCHMARKS.md), and payments wait behind each of them.
async fn tick(st: &Arc<AppState>, client: &HttpClient, worker: &str) -> bool {
    let t = now();
    let dispatched = match st.store.dispatch_events(DISPATCH_BATCH, t).await {
        Ok(n) => n,
        Err(e) => {
            tracing::warn!(error = %e, "webhook dispatch failed");
            0
        }
    };
    let jobs = match st
        .store
        .claim_deliveries(worker, t, LEASE_S, CLAIM_BATCH)
        .await
    {
        Ok(j) => j,
        Err(e) => {
            tracing::warn!(error = %e, "webhook claim failed");
            return false;
        }
    };
    let n = jobs.len();
    let mut set = tokio::task::JoinSet::new();
    for job in jobs {
        let st = st.clone();
        let client = client.clone();
        set.spawn(async move { deliver(&st, &client, job).await });
    }
    while set.join_next().await.is_some() {}
    dispatched >= DISPATCH_BATCH || n >= CLAIM_BATCH
}

async fn deliver(st: &AppState, client: &HttpClient, job: DeliveryJob) {
    let started = Instant::now();
    let body = serde_json::to_vec(&job.event).unwrap_or_default();
    let url = job.endpoint["url"].as_str().unwrap_or_default().to_string();
    let secret = job.endpoint["secret"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let livemode = job.livemode;
    let result = if job.endpoint["status"] == "disabled" {
        Err("endpoint disabled".to_string())
    } else if let Err(e) = check_url(&url, livemode, st.cfg.webhooks_allow_private) {
        Err(e.message)
    } else {
        send(client, &url, &secret, body, st.cfg.webhook_timeout_ms).await
    };
    let t = now();
    let (status_code, error) = match &result {
        Ok(code) => (Some(*code), None),
        Err(e) => (
            None,
            Some(e.chars().take(MAX_ERROR_CHARS).collect::<String>()),
        ),
    };
    let ok = matches!(status_code, Some(c) if (200..300).contains(&c));
    let give_up =
        !ok && t - job.first_attempt_at + backoff_s(job.attempt_no) > st.cfg.webhook_retry_window_s;
    let (state, next) = if ok {
        crate::metrics::Metrics::incr(&st.metrics.webhook_deliveries_ok);
        ("succeeded", None)
    } else if give_up {
        crate::metrics::Metrics::incr(&st.metrics.webhook_deliveries_failed);
        ("failed", None)
    } else {
        ("pending", Some(t + backoff_s(job.attempt_no)))
    };
    let attempt = AttemptLogRow {
        delivery_id: job.delivery_id.clone(),
        event_id: job.event_id.clone(),
        endpoint_id: job.endpoint_id.clone(),
        attempt_no: job.attempt_no,
        at: t,
        status_code: status_code.filter(|_| true),
        error: error.or_else(|| (!ok).then(|| format!("HTTP {}", status_code.unwrap_or(0)))),
        duration_ms: i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX),
    };
    let unit = WriteUnit {
        ops: vec![Op::DeliveryResult {
            delivery_id: job.delivery_id,
            attempt,
            next_attempt_at: next,
            state: state.into(),
        }],
    };
    if let Err(e) = st.store.commit(unit).await {
        tracing::warn!(error = %e, "could not record a webhook attempt");
    }
}

async fn send(
    client: &HttpClient,
    url: &str,
    secret: &str,
    body: Vec<u8>,
    timeout_ms: u64,
) -> Result<u16, String> {
    let sig = signature_header(secret, now(), &body);
    let req = hyper::Request::post(url)
        .header("content-type", "application/json; charset=utf-8")
        .header("user-agent", "paygate-webhooks/1.0 (+Stripe-compatible)")
        .header("stripe-signature", sig)
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| e.to_string())?;
    let fut = client.request(req);
    match tokio::time::timeout(Duration::from_millis(timeout_ms), fut).await {
        Err(_) => Err(format!("timed out after {timeout_ms} ms")),
        Ok(Err(e)) => Err(format!("connection failed: {e}")),
        Ok(Ok(resp)) => Ok(resp.status().as_u16()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_stripe_scheme() {
        // HMAC-SHA256("whsec_test", "1700000000.{}") computed independently with Python's hmac.
        let h = signature_header("whsec_test", 1_700_000_000, b"{}");
        assert_eq!(
            h,
            "t=1700000000,v1=35495024f4ef3f94e5a93e22221544c4b75e9a42300cd965ab81cb85cd994e91"
        );
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        assert_eq!(backoff_s(0), 30);
        assert_eq!(backoff_s(1), 60);
        assert_eq!(backoff_s(30), BACKOFF_MAX_S);
    }

    #[test]
    fn private_urls_are_refused_in_live_mode_only() {
        assert!(check_url("http://127.0.0.1:9/x", false, false).is_ok());
        assert!(check_url("https://127.0.0.1/x", true, false).is_err());
        assert!(check_url("https://10.1.2.3/x", true, false).is_err());
        assert!(check_url("https://localhost/x", true, false).is_err());
        assert!(check_url("https://[::1]/x", true, false).is_err());
        assert!(check_url("https://example.com/hook", true, false).is_ok());
        assert!(check_url("https://10.1.2.3/x", true, true).is_ok());
        assert!(check_url("ftp://example.com/x", false, false).is_err());
    }
}
