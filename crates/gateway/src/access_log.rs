//! Request ids and the access log: every API request gets a `Request-Id` (`req_…`), one
//! access-log line and its request metrics; a mutating request's task carries the id so the
//! events it writes name it.

use crate::state::SharedState;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

/// What the access middleware knows of one request, shared with the handler through the
/// request's extensions: its id (`req_…`) and, once authenticated, its merchant.
#[derive(Clone)]
pub(crate) struct RequestInfo {
    pub(crate) id: String,
    pub(crate) merchant: Arc<OnceLock<String>>,
}

tokio::task_local! {
    /// The id of the request whose mutating task is running (events carry it as `request.id`).
    pub(crate) static REQUEST_ID: String;
}

/// The id of the request this task serves, if it serves one (background work has none).
pub fn current_request_id() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

/// Around every API request: a `Request-Id` response header (`req_…`, errors too), metrics,
/// `Retry-After` on a 429 and a 503, and one access-log line (target `paygate::access`: method, path,
/// status, duration, request id, merchant; never bodies or query strings — they carry card data).
pub async fn observe(
    axum::extract::State(st): axum::extract::State<SharedState>,
    mut req: Request,
    next: axum::middleware::Next,
) -> Response {
    let started = Instant::now();
    let info = RequestInfo {
        id: crate::ids::new_id("req"),
        merchant: Arc::default(),
    };
    req.extensions_mut().insert(info.clone());
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let route = crate::metrics::http::route_of(&req);
    let mut resp = next.run(req).await;
    let us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
    let status = resp.status().as_u16();
    st.metrics.http.observe(route.as_ref(), &method, status, us);
    if let Ok(v) = HeaderValue::from_str(&info.id) {
        resp.headers_mut().insert("request-id", v);
    }
    let retry_after = match resp.status() {
        StatusCode::TOO_MANY_REQUESTS => Some(crate::ratelimit::RETRY_AFTER_S),
        StatusCode::SERVICE_UNAVAILABLE => Some(crate::error::STORE_RETRY_AFTER_S),
        _ => None,
    };
    if let Some(s) = retry_after {
        resp.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(s));
    }
    tracing::info!(
        target: "paygate::access",
        %method,
        %path,
        status = resp.status().as_u16(),
        duration_us = us,
        request_id = %info.id,
        merchant = %info.merchant.get().map_or("-", String::as_str),
        "request"
    );
    resp
}
