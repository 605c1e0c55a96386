//! The gateway's client of the SMS gateway (`sms_url`; `paygate serve` starts the simulator,
//! `paygate sim sms`, when none is configured): every text paygate sends goes through
//! [`SmsClient::send`]; the test helper `GET /v1/test_helpers/sms_messages` reads a phone's
//! inbox back with [`SmsClient::inbox`]. JSON over HTTP/1.1 with a connect and a total timeout
//! and a cap on the answer's size. Message bodies are never logged.

use crate::error::{ApiError, ApiResult};
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::{Method, Request, Uri, header};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};
use std::time::Duration;

/// Establishing the TCP connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// The whole request.
const TOTAL_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest answer read.
const MAX_ANSWER_BYTES: usize = 256 * 1024;
/// The sender name of paygate's messages.
pub const SENDER: &str = "paygate";

/// A client of one SMS gateway.
#[derive(Clone, Debug)]
pub struct SmsClient {
    base: String,
    http: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
}

impl SmsClient {
    /// A client for the SMS gateway at `base_url` (`http://127.0.0.1:7600`).
    pub fn new(base_url: &str) -> Result<SmsClient, String> {
        let base = base_url.trim_end_matches('/').to_string();
        let uri: Uri = format!("{base}/v1/messages")
            .parse()
            .map_err(|e| format!("sms_url {base_url:?} is not a URL: {e}"))?;
        if !matches!(uri.scheme_str(), Some("http" | "https")) {
            return Err(format!("sms_url {base_url:?} must be http:// or https://"));
        }
        let mut connector = HttpConnector::new();
        connector.set_connect_timeout(Some(CONNECT_TIMEOUT));
        connector.enforce_http(false);
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(crate::webhooks::connect::rustls_config())
            .https_or_http()
            .enable_http1()
            .wrap_connector(connector);
        let http = Client::builder(TokioExecutor::new()).build(https);
        Ok(SmsClient { base, http })
    }

    /// Sends `body` to `phone` (digits); Ok is the gateway's message id.
    pub async fn send(&self, phone: &str, body: &str) -> ApiResult<String> {
        let req = json!({"phone": phone, "body": body, "sender": SENDER});
        let (status, answer) = self
            .exchange(Method::POST, "/v1/messages", Some(req))
            .await?;
        match answer["id"].as_str() {
            Some(id) if status == 202 => Ok(id.to_string()),
            _ => Err(unavailable(format!("HTTP {status} without a message id"))),
        }
    }

    /// The messages to `phone` (digits), newest first, as the SMS gateway lists them.
    pub async fn inbox(&self, phone: &str) -> ApiResult<Vec<Value>> {
        let path = format!("/v1/messages?phone={phone}");
        let (status, answer) = self.exchange(Method::GET, &path, None).await?;
        match answer["data"].as_array() {
            Some(list) if status == 200 => Ok(list.clone()),
            _ => Err(unavailable(format!("HTTP {status} without a list"))),
        }
    }

    async fn exchange(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> ApiResult<(u16, Value)> {
        match tokio::time::timeout(TOTAL_TIMEOUT, self.send_raw(method, path, body)).await {
            Ok(r) => r.map_err(unavailable),
            Err(_) => Err(unavailable("no answer in time".into())),
        }
    }

    async fn send_raw(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<(u16, Value), String> {
        let uri: Uri = format!("{}{path}", self.base)
            .parse()
            .map_err(|e| format!("{e}"))?;
        let bytes = body.map(|b| b.to_string()).unwrap_or_default();
        let req = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::from(bytes)))
            .map_err(|e| e.to_string())?;
        let resp = self.http.request(req).await.map_err(|e| e.to_string())?;
        let status = resp.status().as_u16();
        let bytes = Limited::new(resp.into_body(), MAX_ANSWER_BYTES)
            .collect()
            .await
            .map_err(|_| "an answer too large or cut short".to_string())?
            .to_bytes();
        let json = serde_json::from_slice(&bytes).map_err(|e| format!("not JSON: {e}"))?;
        Ok((status, json))
    }
}

/// The SMS gateway could not be used: 503 `sms_unavailable`; the cause is logged, not sent.
fn unavailable(cause: String) -> ApiError {
    tracing::warn!(error = %cause, "the SMS gateway could not be reached");
    ApiError::service_unavailable(
        "sms_unavailable",
        "The text message could not be sent. Please try again.",
    )
}
