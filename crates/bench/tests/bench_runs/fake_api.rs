//! The fake merchant API the bench runs against: a hyper server on port 0 that answers
//! payments (declining [`DECLINE_CARD`]), captures, refunds and webhook endpoints the way the
//! gateway would, behaving as told ([`Behaviour`]) and counting what it saw ([`Seen`]).

use super::KEY;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;

/// The card number the fake API declines.
pub const DECLINE_CARD: &str = "4000000000000002";

/// How the fake API answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    /// 200 for payments (402 card_error for the decline card), captures and refunds.
    Normal,
    /// Like `Normal`, but each payment takes this long.
    SlowPayments(Duration),
    /// 500 for payments.
    Fails500,
    /// 200 with a body that is not JSON for payments.
    Garbage,
    /// 401 for everything behind the API key.
    RejectsKey,
}

/// What the fake API saw.
#[derive(Default)]
pub struct Seen {
    pub connections: AtomicU64,
    pub healthz: AtomicU64,
    pub payments: AtomicU64,
    pub captures: AtomicU64,
    pub refunds: AtomicU64,
    pub manual_payments: AtomicU64,
    pub idempotency_keys: Mutex<Vec<String>>,
    /// Webhook endpoint URLs registered, and how many were disabled again.
    pub webhook_urls: Mutex<Vec<String>>,
    pub webhooks_disabled: AtomicU64,
}

pub struct FakeApi {
    pub url: String,
    pub seen: Arc<Seen>,
}

impl FakeApi {
    pub async fn start(behaviour: Behaviour) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let seen = Arc::new(Seen::default());
        let accept_seen = seen.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                accept_seen.connections.fetch_add(1, Ordering::Relaxed);
                let seen = accept_seen.clone();
                let service = service_fn(move |request| answer(request, behaviour, seen.clone()));
                tokio::spawn(
                    hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service),
                );
            }
        });
        Self { url, seen }
    }

    pub fn count(&self, counter: impl Fn(&Seen) -> &AtomicU64) -> u64 {
        counter(&self.seen).load(Ordering::Relaxed)
    }
}

fn json(status: u16, body: &str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body.to_owned())));
    *response.status_mut() = StatusCode::from_u16(status).expect("status");
    response
}

async fn answer(
    request: Request<Incoming>,
    behaviour: Behaviour,
    seen: Arc<Seen>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let authorized = request
        .headers()
        .get("authorization")
        .is_some_and(|v| v.as_bytes() == format!("Bearer {KEY}").as_bytes());
    if let Some(key) = request.headers().get("idempotency-key") {
        let key = key.to_str().expect("ASCII key").to_owned();
        seen.idempotency_keys.lock().expect("lock").push(key);
    }
    let body = request
        .into_body()
        .collect()
        .await
        .expect("request body")
        .to_bytes();
    let body = String::from_utf8_lossy(&body);
    if method == Method::GET && path == "/healthz" {
        seen.healthz.fetch_add(1, Ordering::Relaxed);
        return Ok(json(200, r#"{"status":"ok"}"#));
    }
    if !authorized || behaviour == Behaviour::RejectsKey {
        return Ok(json(401, r#"{"error":{"type":"invalid_request_error"}}"#));
    }
    Ok(match (method, path.as_str()) {
        (Method::GET, "/v1/payment_intents") => json(200, r#"{"object":"list","data":[]}"#),
        (Method::POST, "/v1/payment_intents") => payment(&body, behaviour, &seen).await,
        (Method::POST, p)
            if p.starts_with("/v1/payment_intents/pi_") && p.ends_with("/capture") =>
        {
            seen.captures.fetch_add(1, Ordering::Relaxed);
            json(200, r#"{"id":"pi_x","status":"succeeded"}"#)
        }
        (Method::POST, "/v1/webhook_endpoints") => {
            let url = form_value(&body, "url").expect("url given");
            let mut urls = seen.webhook_urls.lock().expect("lock");
            urls.push(url);
            json(200, &format!(r#"{{"id":"we_{}"}}"#, urls.len()))
        }
        (Method::POST, p) if p.starts_with("/v1/webhook_endpoints/we_") => {
            assert_eq!(body, "disabled=true");
            seen.webhooks_disabled.fetch_add(1, Ordering::Relaxed);
            json(200, r#"{"id":"we_x"}"#)
        }
        (Method::POST, "/v1/refunds") if body.starts_with("payment_intent=pi_") => {
            seen.refunds.fetch_add(1, Ordering::Relaxed);
            json(200, r#"{"id":"re_x","status":"succeeded"}"#)
        }
        _ => json(404, r#"{"error":{"type":"invalid_request_error"}}"#),
    })
}

fn form_value(body: &str, name: &str) -> Option<String> {
    body.split('&')
        .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
        .map(str::to_owned)
}

/// Sends a `payment_intent.succeeded` event carrying the payment's metadata to every
/// registered webhook URL, as the gateway would.
fn send_webhooks(body: &str, seen: &Seen) {
    let Some(sent) = form_value(body, "metadata[bench_sent_ms]") else {
        return;
    };
    let event = format!(
        r#"{{"type":"payment_intent.succeeded","data":{{"object":{{"metadata":{{"bench_sent_ms":"{sent}"}}}}}}}}"#
    );
    for url in seen.webhook_urls.lock().expect("lock").iter() {
        let request = Request::post(url.as_str())
            .body(Full::new(Bytes::from(event.clone())))
            .expect("request");
        tokio::spawn(async move {
            let client =
                hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                    .build_http();
            client.request(request).await.expect("webhook delivered");
        });
    }
}

async fn payment(body: &str, behaviour: Behaviour, seen: &Seen) -> Response<Full<Bytes>> {
    seen.payments.fetch_add(1, Ordering::Relaxed);
    if behaviour == Behaviour::Normal && !body.contains(DECLINE_CARD) {
        send_webhooks(body, seen);
    }
    if let Behaviour::SlowPayments(delay) = behaviour {
        tokio::time::sleep(delay).await;
    }
    match behaviour {
        Behaviour::Fails500 => json(500, r#"{"error":{"type":"api_error"}}"#),
        Behaviour::Garbage => json(200, "<html>not json</html>"),
        _ if body.contains(DECLINE_CARD) => json(
            402,
            r#"{"error":{"type":"card_error","code":"card_declined","decline_code":"generic_decline"}}"#,
        ),
        _ if body.contains("capture_method=manual") => {
            seen.manual_payments.fetch_add(1, Ordering::Relaxed);
            json(200, r#"{"id":"pi_x","status":"requires_capture"}"#)
        }
        _ => json(200, r#"{"id":"pi_x","status":"succeeded"}"#),
    }
}
