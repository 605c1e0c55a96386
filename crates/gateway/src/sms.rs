//! The gateway's client of the SMS gateway (`sms_url`; `paygate serve` starts the simulator,
//! `paygate sim sms`, when none is configured): every text paygate sends goes through
//! [`SmsClient::send`]; the test helper `GET /v1/test_helpers/sms_messages` reads a phone's
//! inbox back with [`SmsClient::inbox`]. JSON over HTTP/1.1 through [`JsonClient`] (timeouts, a cap
//! on the answer's size). Message bodies are never logged.

use crate::error::{ApiError, ApiResult};
use crate::json_client::JsonClient;
use crate::metrics::links::{Link, LinkMetrics, Meter};
use hyper::Method;
use serde_json::{Value, json};
use std::sync::Arc;

/// Largest answer read.
const MAX_ANSWER_BYTES: usize = 256 * 1024;
/// The sender name of paygate's messages.
pub const SENDER: &str = "paygate";

/// A client of one SMS gateway.
#[derive(Clone, Debug)]
pub struct SmsClient {
    http: JsonClient,
}

impl SmsClient {
    /// A client for the SMS gateway at `base_url` (`http://127.0.0.1:7600`).
    pub fn new(base_url: &str) -> Result<SmsClient, String> {
        let http = JsonClient::new(base_url, "sms_url", MAX_ANSWER_BYTES)?;
        Ok(SmsClient { http })
    }

    /// The same client, its calls measured in `links` (counterparty `sms`).
    pub fn metered(self, links: &Arc<LinkMetrics>) -> SmsClient {
        let meter = Meter::new(Link::Sms, links.clone());
        SmsClient {
            http: self.http.metered(meter),
        }
    }

    /// Sends `body` to `phone` (digits); Ok is the gateway's message id.
    pub async fn send(&self, phone: &str, body: &str) -> ApiResult<String> {
        let req = json!({"phone": phone, "body": body, "sender": SENDER});
        let (status, answer) = self
            .http
            .exchange(Method::POST, "/v1/messages", Some(&req))
            .await
            .map_err(unavailable)?;
        match answer["id"].as_str() {
            Some(id) if status == 202 => Ok(id.to_string()),
            _ => Err(unavailable(format!("HTTP {status} without a message id"))),
        }
    }

    /// The messages to `phone` (digits), newest first, as the SMS gateway lists them.
    pub async fn inbox(&self, phone: &str) -> ApiResult<Vec<Value>> {
        let path = format!("/v1/messages?phone={phone}");
        let (status, answer) = self
            .http
            .exchange(Method::GET, &path, None)
            .await
            .map_err(unavailable)?;
        match answer["data"].as_array() {
            Some(list) if status == 200 => Ok(list.clone()),
            _ => Err(unavailable(format!("HTTP {status} without a list"))),
        }
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
