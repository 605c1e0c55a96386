//! The gateway's JSON-over-HTTP/1.1 client of a counterparty's HTTP service (the ISP server, the
//! SMS gateway): hyper-util's pooled client, https with rustls and Mozilla's roots or plain http
//! for a local simulator, a connect timeout, a total timeout and a cap on the answer's size.
//! Each service's client wraps one and turns its failures into its own API error.

use crate::metrics::links::Meter;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::{Method, Request, Uri, header};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;
use std::time::Duration;
use tracing::Instrument;

/// Establishing the TCP connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// The whole request: connect, send, read the answer.
const TOTAL_TIMEOUT: Duration = Duration::from_secs(10);
/// Idle keep-alive connections kept to the service.
const IDLE_CONNECTIONS_MAX: usize = 8;

/// A client of one service at one base URL.
#[derive(Clone, Debug)]
pub struct JsonClient {
    /// The base URL, without a trailing `/`.
    base: String,
    /// Largest answer read, in bytes.
    max_answer_bytes: usize,
    http: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    /// Measures every exchange in the link metrics, once set ([`JsonClient::metered`]).
    meter: Option<Meter>,
}

impl JsonClient {
    /// A client for `base_url`; `setting` names the configuration key in errors (`isp_url`).
    pub fn new(base_url: &str, setting: &str, max_answer_bytes: usize) -> Result<Self, String> {
        let tls = crate::webhooks::connect::rustls_config();
        Self::with_tls_config(base_url, setting, max_answer_bytes, tls)
    }

    /// [`JsonClient::new`] with a TLS configuration of the caller's (the vault's mutual TLS).
    pub fn with_tls_config(
        base_url: &str,
        setting: &str,
        max_answer_bytes: usize,
        tls: rustls::ClientConfig,
    ) -> Result<Self, String> {
        let base = base_url.trim_end_matches('/').to_string();
        let uri: Uri = format!("{base}/")
            .parse()
            .map_err(|e| format!("{setting} {base_url:?} is not a URL: {e}"))?;
        if !matches!(uri.scheme_str(), Some("http" | "https")) {
            return Err(format!(
                "{setting} {base_url:?} must be http:// or https://"
            ));
        }
        let mut connector = HttpConnector::new();
        connector.set_connect_timeout(Some(CONNECT_TIMEOUT));
        connector.set_nodelay(true);
        connector.enforce_http(false);
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(connector);
        let http = Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(IDLE_CONNECTIONS_MAX)
            .build(https);
        Ok(JsonClient {
            base,
            max_answer_bytes,
            http,
            meter: None,
        })
    }

    /// The same client, its exchanges measured by `meter`.
    pub fn metered(self, meter: Meter) -> JsonClient {
        JsonClient {
            meter: Some(meter),
            ..self
        }
    }

    /// The base URL.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// `method {base}{path}` with `body`: the HTTP status and the JSON answer, or why there is
    /// none (not sent, no answer in time, too large, not JSON).
    pub async fn exchange(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<(u16, Value), String> {
        // The span names the path without its query; bodies are never recorded.
        let span = tracing::debug_span!(
            "http.client",
            http.request.method = %method,
            server.address = %self.base,
            url.path = path.split('?').next().unwrap_or_default(),
            http.response.status_code = tracing::field::Empty,
            error = tracing::field::Empty,
        );
        let call = tokio::time::timeout(TOTAL_TIMEOUT, self.send(method, path, body))
            .instrument(span.clone());
        let answer = match &self.meter {
            Some(m) => m.measure(call).await,
            None => call.await,
        };
        let answer = match answer {
            Ok(r) => r,
            Err(_) => Err(format!("no answer within {} ms", TOTAL_TIMEOUT.as_millis())),
        };
        match &answer {
            Ok((status, _)) => span.record("http.response.status_code", status),
            Err(_) => span.record("error", true),
        };
        answer
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<(u16, Value), String> {
        let uri: Uri = format!("{}{path}", self.base)
            .parse()
            .map_err(|e| format!("{e}"))?;
        let bytes = body.map(|b| b.to_string()).unwrap_or_default();
        let req = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::ACCEPT, "application/json")
            .body(Full::new(Bytes::from(bytes)))
            .map_err(|e| e.to_string())?;
        let resp = self.http.request(req).await.map_err(|e| e.to_string())?;
        let status = resp.status().as_u16();
        let max = self.max_answer_bytes;
        let bytes = Limited::new(resp.into_body(), max)
            .collect()
            .await
            .map_err(|_| format!("an answer over {max} bytes or cut short"))?
            .to_bytes();
        let json = serde_json::from_slice(&bytes)
            .map_err(|e| format!("HTTP {status} with a body that is not JSON: {e}"))?;
        Ok((status, json))
    }
}
