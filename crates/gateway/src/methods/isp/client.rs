//! The gateway's HTTP client towards the card company's ISP server (JSON over HTTP/1.1 through
//! [`JsonClient`]: timeouts and a cap on the answer's size). The
//! verification itself ([`IspClient::verify`]) is in [`super::verify`]; the payer page's proxies
//! (`/v1/encryption_key`, `/v1/enroll`) use [`IspClient::get_json`] and
//! [`IspClient::post_json`].

use crate::error::{ApiError, ApiResult};
use crate::json_client::JsonClient;
use crate::metrics::links::{Link, LinkMetrics, Meter};
use hyper::Method;
use serde_json::Value;
use std::sync::Arc;

/// Largest answer read from the ISP server.
const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// A JSON-over-HTTP client for one ISP server.
#[derive(Clone, Debug)]
pub struct IspClient {
    http: JsonClient,
}

impl IspClient {
    /// A client for the ISP server at `base_url` (`http://127.0.0.1:7443`, `https://isp.example`).
    pub fn new(base_url: &str) -> Result<IspClient, String> {
        let http = JsonClient::new(base_url, "isp_url", MAX_ANSWER_BYTES)?;
        Ok(IspClient { http })
    }

    /// The same client, its calls measured in `links` (counterparty `isp`).
    pub fn metered(self, links: &Arc<LinkMetrics>) -> IspClient {
        let meter = Meter::new(Link::Isp, links.clone());
        IspClient {
            http: self.http.metered(meter),
        }
    }

    /// The server's base URL (what payers' clients enrol at).
    pub fn base_url(&self) -> &str {
        self.http.base_url()
    }

    /// `GET {base}{path}`: the HTTP status and the JSON answer.
    pub async fn get_json(&self, path: &str) -> ApiResult<(u16, Value)> {
        self.http
            .exchange(Method::GET, path, None)
            .await
            .map_err(unavailable)
    }

    /// `POST {base}{path}` with `body`: the HTTP status and the JSON answer.
    pub async fn post_json(&self, path: &str, body: &Value) -> ApiResult<(u16, Value)> {
        self.http
            .exchange(Method::POST, path, Some(body))
            .await
            .map_err(unavailable)
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
