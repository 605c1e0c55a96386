//! The 3DS Server's HTTP client towards the DS: JSON POSTs over HTTP/1.1 (hyper-util's pooled
//! client; https with rustls and Mozilla's roots, or plain http for a local simulator), with a
//! connect timeout and a total timeout per request, and a cap on the answer's size. A DS that
//! does not answer in time is a [`TransportError`], never a hang. (A production DS also wants
//! a client certificate: not configured here.)

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::{Method, Request, Uri, header};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use crate::messages::MAX_MESSAGE_BYTES;

/// Idle keep-alive connections kept to the DS.
const IDLE_CONNECTIONS_MAX: usize = 8;
/// An idle pooled connection is closed after this.
const IDLE_TIMEOUT_S: u64 = 60;

/// Timeouts of the requests to the DS.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    /// Establishing the TCP connection, in milliseconds.
    pub connect_ms: u64,
    /// The whole request: connect, send, and read the answer, in milliseconds.
    pub total_ms: u64,
}

impl Default for Timeouts {
    /// 2 s to connect, 10 s in all (EMV asks the 3DS Server to give an ARes ~ 10 s).
    fn default() -> Self {
        Timeouts {
            connect_ms: 2_000,
            total_ms: 10_000,
        }
    }
}

/// Why a request to the DS got no usable HTTP answer.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    /// No answer within [`Timeouts::total_ms`].
    #[error("the DS did not answer within {0} ms")]
    TimedOut(u64),
    /// Connecting or exchanging failed (refused, reset, connect timeout).
    #[error("the DS could not be reached: {0}")]
    Connection(String),
    /// The answer is not HTTP 200, or its body is too large.
    #[error("the DS answered {0}")]
    BadAnswer(String),
}

/// Measures the calls to the DS from outside this crate (the gateway's link metrics):
/// [`CallMeter::start`] as a request goes out; what it returns is dropped when the request
/// ends, answered, failed or timed out.
pub trait CallMeter: Send + Sync + std::fmt::Debug {
    fn start(&self) -> Box<dyn Send>;
}

/// A JSON-over-HTTP client for one DS.
#[derive(Clone, Debug)]
pub(crate) struct DsClient {
    http: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    timeouts: Timeouts,
    meter: Option<Arc<dyn CallMeter>>,
}

impl DsClient {
    pub(crate) fn new(timeouts: Timeouts) -> DsClient {
        let mut connector = HttpConnector::new();
        connector.set_connect_timeout(Some(Duration::from_millis(timeouts.connect_ms)));
        connector.set_nodelay(true);
        connector.enforce_http(false);
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(rustls_config())
            .https_or_http()
            .enable_http1()
            .wrap_connector(connector);
        let http = Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(IDLE_CONNECTIONS_MAX)
            .pool_idle_timeout(Duration::from_secs(IDLE_TIMEOUT_S))
            .build(https);
        DsClient {
            http,
            timeouts,
            meter: None,
        }
    }

    /// The client, its calls measured by `meter`.
    pub(crate) fn metered(self, meter: Arc<dyn CallMeter>) -> DsClient {
        DsClient {
            meter: Some(meter),
            ..self
        }
    }

    /// POSTs `body` (JSON) to `uri` and returns the answer's body (HTTP 200 only).
    pub(crate) async fn post_json(
        &self,
        uri: &Uri,
        body: Vec<u8>,
    ) -> Result<Bytes, TransportError> {
        let total = self.timeouts.total_ms;
        let _call = self.meter.as_ref().map(|m| m.start());
        let span = tracing::debug_span!(
            "three_ds.request",
            server.address = uri.host(),
            url.path = uri.path(),
            error = tracing::field::Empty,
        );
        let exchange = tokio::time::timeout(Duration::from_millis(total), self.exchange(uri, body));
        let answer = tracing::Instrument::instrument(exchange, span.clone())
            .await
            .map_err(|_| TransportError::TimedOut(total))?;
        if answer.is_err() {
            span.record("error", true);
        }
        answer
    }

    async fn exchange(&self, uri: &Uri, body: Vec<u8>) -> Result<Bytes, TransportError> {
        let req = Request::builder()
            .method(Method::POST)
            .uri(uri.clone())
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::ACCEPT, "application/json")
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| TransportError::Connection(e.to_string()))?;
        let resp = self
            .http
            .request(req)
            .await
            .map_err(|e| TransportError::Connection(e.to_string()))?;
        let status = resp.status();
        let body = Limited::new(resp.into_body(), MAX_MESSAGE_BYTES)
            .collect()
            .await
            .map_err(|_| {
                TransportError::BadAnswer(format!(
                    "a body over {MAX_MESSAGE_BYTES} bytes or cut short"
                ))
            })?
            .to_bytes();
        if status != hyper::StatusCode::OK {
            return Err(TransportError::BadAnswer(format!(
                "HTTP {}",
                status.as_u16()
            )));
        }
        Ok(body)
    }
}

/// TLS with ring and Mozilla's roots (webpki-roots), built once.
fn rustls_config() -> rustls::ClientConfig {
    static CONFIG: OnceLock<Arc<rustls::ClientConfig>> = OnceLock::new();
    let config = CONFIG.get_or_init(|| {
        let roots =
            rustls::RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        Arc::new(
            rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .expect("ring supports TLS 1.2 and 1.3 (a failure is a build defect)")
                .with_root_certificates(roots)
                .with_no_client_auth(),
        )
    });
    (**config).clone()
}
