//! The merchant's webhook endpoint: a local HTTP server that checks every delivery's
//! `Stripe-Signature` (HMAC-SHA256 of `t.body` under the endpoint's secret) and remembers the
//! event ids it received with a valid one.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, RwLock};

#[derive(Default)]
pub struct Received {
    /// The endpoint's signing secret, known once the endpoint is created.
    pub secret: RwLock<String>,
    pub valid: Mutex<HashSet<String>>,
    pub deliveries: std::sync::atomic::AtomicU64,
    pub bad_signatures: std::sync::atomic::AtomicU64,
}

pub struct Receiver {
    pub url: String,
    pub seen: Arc<Received>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Receiver {
    pub async fn start() -> Result<Receiver, String> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| e.to_string())?;
        let addr: SocketAddr = listener.local_addr().map_err(|e| e.to_string())?;
        let seen = Arc::new(Received::default());
        let app = axum::Router::new()
            .route("/hook", axum::routing::post(hook))
            .with_state(seen.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Receiver {
            url: format!("http://{addr}/hook"),
            seen,
            task,
        })
    }
}

async fn hook(State(seen): State<Arc<Received>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    use std::sync::atomic::Ordering;
    seen.deliveries.fetch_add(1, Ordering::Relaxed);
    let secret = seen.secret.read().map(|s| s.clone()).unwrap_or_default();
    let header = headers
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if secret.is_empty() || !signature_valid(&secret, header, &body) {
        seen.bad_signatures.fetch_add(1, Ordering::Relaxed);
        return StatusCode::BAD_REQUEST;
    }
    let id = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v["id"].as_str().map(str::to_string));
    match id {
        Some(id) => {
            if let Ok(mut v) = seen.valid.lock() {
                v.insert(id);
            }
            StatusCode::OK
        }
        None => StatusCode::BAD_REQUEST,
    }
}

/// `t=<unix>,v1=<hex>`: some `v1` equals HMAC-SHA256(secret, "t.body").
pub fn signature_valid(secret: &str, header: &str, body: &[u8]) -> bool {
    let mut t = None;
    let mut sigs = Vec::new();
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", v)) => t = Some(v),
            Some(("v1", v)) => sigs.push(v),
            _ => {}
        }
    }
    let Some(t) = t else { return false };
    sigs.iter().any(|s| {
        let Ok(sig) = hex::decode(s) else {
            return false;
        };
        let Ok(mut mac) = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()) else {
            return false;
        };
        mac.update(t.as_bytes());
        mac.update(b".");
        mac.update(body);
        mac.verify_slice(&sig).is_ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_of_the_stripe_scheme_verifies_and_a_changed_body_does_not() {
        // The vector of the gateway's own `signature_matches_stripe_scheme` test.
        let secret = "whsec_test";
        let body = br#"{"id":"evt_1"}"#;
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(b"1700000000.");
        mac.update(body);
        let header = format!(
            "t=1700000000,v1={}",
            hex::encode(mac.finalize().into_bytes())
        );
        assert!(signature_valid(secret, &header, body));
        assert!(!signature_valid(secret, &header, br#"{"id":"evt_2"}"#));
        assert!(!signature_valid("whsec_other", &header, body));
        assert!(!signature_valid(secret, "v1=00", body));
    }
}
