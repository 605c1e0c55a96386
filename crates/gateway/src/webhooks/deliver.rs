//! One delivery: sign the event with the endpoint's secret, POST it, and record the attempt
//! (succeeded, retry later with backoff, or failed after the retry window).

use super::connect::{HttpClient, refusal};
use super::secret;
use crate::metrics::webhooks::DeliveryResult;
use crate::state::AppState;
use bytes::Bytes;
use hmac::{Hmac, KeyInit, Mac};
use http_body_util::Full;
use paygate_payments::{Clock, SystemClock};
use paygate_store::{AttemptLogRow, DeliveryJob, Op, WriteUnit};
use sha2::Sha256;
use std::time::{Duration, Instant};

/// Error texts are cut to this many characters in the attempt log.
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

/// Delay before attempt `attempt_no + 1`: the store's schedule, which its claims read too.
pub use paygate_store::delivery_backoff_s as backoff_s;

/// Sends one delivery and records its attempt. True when the endpoint answered 2xx.
pub async fn deliver(st: &AppState, client: &HttpClient, job: DeliveryJob) -> bool {
    let started = Instant::now();
    let result = attempt(st, client, &job).await;
    let t = st.now();
    let (status_code, error) = match result {
        Ok(code) => (Some(code), None),
        Err(e) => (None, Some(e)),
    };
    let ok = matches!(status_code, Some(c) if (200..300).contains(&c));
    let give_up =
        !ok && t - job.first_attempt_at + backoff_s(job.attempt_no) > st.cfg.webhook_retry_window_s;
    let (state, next, result) = if ok {
        let created = job.event.get("created").and_then(serde_json::Value::as_i64);
        let lag_s = u64::try_from(t - created.unwrap_or(t)).unwrap_or(0);
        ("succeeded", None, DeliveryResult::Delivered { lag_s })
    } else if give_up {
        ("failed", None, DeliveryResult::Abandoned)
    } else {
        let next = Some(t + backoff_s(job.attempt_no));
        ("pending", next, DeliveryResult::Retrying)
    };
    st.metrics.webhooks.attempt(result);
    let error = error
        .map(|e| e.chars().take(MAX_ERROR_CHARS).collect::<String>())
        .or_else(|| (!ok).then(|| format!("HTTP {}", status_code.unwrap_or(0))));
    let attempt = AttemptLogRow {
        delivery_id: job.delivery_id.clone(),
        event_id: job.event_id.clone(),
        endpoint_id: job.endpoint_id.clone(),
        attempt_no: job.attempt_no,
        at: t,
        status_code,
        error,
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
        crate::error::warn_limited("could not record a webhook attempt", &e);
    }
    ok
}

/// The request itself: the status code, or why there was none.
async fn attempt(st: &AppState, client: &HttpClient, job: &DeliveryJob) -> Result<u16, String> {
    if job.endpoint["status"] == "disabled" {
        return Err("endpoint disabled".into());
    }
    let url = job.endpoint["url"].as_str().unwrap_or_default();
    // The URL text (IP literals, scheme) again: the endpoint may predate today's rules.
    let allow_private = st.cfg.webhooks_allow_private;
    super::guard::check_url_text(url, job.livemode, allow_private).map_err(|e| e.message)?;
    let secret =
        secret::open(&st.vault, &job.endpoint_id, &job.endpoint).map_err(|e| e.to_string())?;
    let body = serde_json::to_vec(&job.event).unwrap_or_default();
    send(client, url, &secret, body, st.cfg.webhook_timeout_ms).await
}

async fn send(
    client: &HttpClient,
    url: &str,
    secret: &str,
    body: Vec<u8>,
    timeout_ms: u64,
) -> Result<u16, String> {
    let sig = signature_header(secret, SystemClock.now(), &body);
    let req = hyper::Request::post(url)
        .header("content-type", "application/json; charset=utf-8")
        .header("user-agent", "paygate-webhooks/1.0 (+Stripe-compatible)")
        .header("stripe-signature", sig)
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| e.to_string())?;
    let fut = client.request(req);
    match tokio::time::timeout(Duration::from_millis(timeout_ms), fut).await {
        Err(_) => Err(format!("timed out after {timeout_ms} ms")),
        Ok(Err(e)) => match refusal(&e) {
            Some(r) => Err(format!("not connected: {r}")),
            None => Err(format!("connection failed: {}", error_chain(&e))),
        },
        Ok(Ok(resp)) => Ok(resp.status().as_u16()),
    }
}

fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        out.push_str(": ");
        out.push_str(&s.to_string());
        cur = s.source();
    }
    out
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
}
