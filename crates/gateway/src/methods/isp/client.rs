//! The gateway's HTTP client towards the card company's ISP server (JSON over HTTP/1.1,
//! hyper-util's pooled client; https with rustls and Mozilla's roots, or plain http for a local
//! simulator), with a connect timeout, a total timeout and a cap on the answer's size. The
//! verification itself ([`IspClient::verify`]) is in [`super::verify`]; the payer page's proxies
//! (`/v1/encryption_key`, `/v1/enroll`) use [`IspClient::get_json`] and
//! [`IspClient::post_json`].

use crate::error::{ApiError, ApiResult};
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::{Method, Request, Uri, header};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;
use std::time::Duration;

/// Establishing the TCP connection to the ISP server.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// The whole request: connect, send, read the answer.
const TOTAL_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest answer read from the ISP server.
const MAX_ANSWER_BYTES: usize = 64 * 1024;
/// Idle keep-alive connections kept to the ISP server.
const IDLE_CONNECTIONS_MAX: usize = 8;

/// A JSON-over-HTTP client for one ISP server.
#[derive(Clone, Debug)]
pub struct IspClient {
    /// The server's base URL, without a trailing `/`.
    base: String,
    http: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
}

impl IspClient {
    /// A client for the ISP server at `base_url` (`http://127.0.0.1:7443`, `https://isp.example`).
    pub fn new(base_url: &str) -> Result<IspClient, String> {
        let base = base_url.trim_end_matches('/').to_string();
        let uri: Uri = format!("{base}/v1/ca")
            .parse()
            .map_err(|e| format!("isp_url {base_url:?} is not a URL: {e}"))?;
        if !matches!(uri.scheme_str(), Some("http" | "https")) {
            return Err(format!("isp_url {base_url:?} must be http:// or https://"));
        }
        let mut connector = HttpConnector::new();
        connector.set_connect_timeout(Some(CONNECT_TIMEOUT));
        connector.set_nodelay(true);
        connector.enforce_http(false);
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(crate::webhooks::connect::rustls_config())
            .https_or_http()
            .enable_http1()
            .wrap_connector(connector);
        let http = Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(IDLE_CONNECTIONS_MAX)
            .build(https);
        Ok(IspClient { base, http })
    }

    /// The server's base URL (what payers' clients enrol at).
    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// `GET {base}{path}`: the HTTP status and the JSON answer.
    pub async fn get_json(&self, path: &str) -> ApiResult<(u16, Value)> {
        self.exchange(Method::GET, path, None).await
    }

    /// `POST {base}{path}` with `body`: the HTTP status and the JSON answer.
    pub async fn post_json(&self, path: &str, body: &Value) -> ApiResult<(u16, Value)> {
        let bytes = serde_json::to_vec(body).map_err(ApiError::internal)?;
        self.exchange(Method::POST, path, Some(bytes)).await
    }

    async fn exchange(
        &self,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
    ) -> ApiResult<(u16, Value)> {
        let send = self.send(method, path, body);
        match tokio::time::timeout(TOTAL_TIMEOUT, send).await {
            Ok(r) => r.map_err(unavailable),
            Err(_) => Err(unavailable(format!(
                "no answer within {} ms",
                TOTAL_TIMEOUT.as_millis()
            ))),
        }
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
    ) -> Result<(u16, Value), String> {
        let uri: Uri = format!("{}{path}", self.base)
            .parse()
            .map_err(|e| format!("{e}"))?;
        let req = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::ACCEPT, "application/json")
            .body(Full::new(Bytes::from(body.unwrap_or_default())))
            .map_err(|e| e.to_string())?;
        let resp = self.http.request(req).await.map_err(|e| e.to_string())?;
        let status = resp.status().as_u16();
        let bytes = Limited::new(resp.into_body(), MAX_ANSWER_BYTES)
            .collect()
            .await
            .map_err(|_| format!("an answer over {MAX_ANSWER_BYTES} bytes or cut short"))?
            .to_bytes();
        let json = serde_json::from_slice(&bytes)
            .map_err(|e| format!("HTTP {status} with a body that is not JSON: {e}"))?;
        Ok((status, json))
    }
}

/// The ISP server could not be asked: 503 `api_error` (`isp_unavailable`), nothing changed on
/// the intent; the cause is logged, not sent.
fn unavailable(cause: String) -> ApiError {
    tracing::warn!(error = %cause, "the ISP server could not be reached");
    ApiError::service_unavailable(
        "isp_unavailable",
        "The ISP server could not be reached; nothing was charged. Please try again.",
    )
}
