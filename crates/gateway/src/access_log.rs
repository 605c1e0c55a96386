//! Request ids and the access log: every API request gets a `Request-Id` (`req_…`), one
//! access-log line (also fed to the merchant's `GET /v1/request_log/stream`) and its request
//! metrics; a mutating request's task carries the id so the events it writes name it. Every
//! request also runs in its span `http.request` (W3C trace context, [`crate::trace_context`]):
//! it continues a caller's `traceparent` or starts a trace, and answers with its own
//! `traceparent` header naming the trace and the request's span.

use crate::request_log::RequestLine;
use crate::state::SharedState;
use crate::trace_context::{SpanId, TraceId, TraceParent};
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use std::sync::{Arc, OnceLock};
use std::time::Instant;
use tracing::Instrument;

/// What the access middleware knows of one request, shared with the handler through the
/// request's extensions: its id (`req_…`), once authenticated its merchant, and its span.
#[derive(Clone)]
pub(crate) struct RequestInfo {
    pub(crate) id: String,
    pub(crate) merchant: Arc<OnceLock<String>>,
    pub(crate) span: tracing::Span,
}

impl RequestInfo {
    /// Records the authenticated merchant (access log, and the `merchant` of the span's logs).
    pub(crate) fn set_merchant(&self, merchant: &str) {
        let _ = self.merchant.set(merchant.to_string());
        self.span.record("merchant", merchant);
    }
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
    let id = crate::ids::new_id("req");
    let caller = req
        .headers()
        .get("traceparent")
        .and_then(|v| v.to_str().ok())
        .and_then(TraceParent::parse);
    let trace_id = caller.map_or_else(TraceId::random, |c| c.trace_id);
    let ours = TraceParent {
        trace_id,
        span_id: SpanId::random(),
        sampled: crate::trace_context::sampled(caller, trace_id),
    };
    let span = request_span(&id, &req, ours, caller);
    let info = RequestInfo {
        id,
        merchant: Arc::default(),
        span: span.clone(),
    };
    req.extensions_mut().insert(info.clone());
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    // Copied only while someone tails the request log (the request is gone after `next`).
    let idempotency_key: Option<String> = req
        .headers()
        .get("idempotency-key")
        .filter(|_| st.request_log.watched())
        .and_then(|v| v.to_str().ok())
        .map(|k| {
            k.trim()
                .chars()
                .take(crate::http::MAX_IDEMPOTENCY_KEY_CHARS)
                .collect()
        });
    let route = crate::metrics::http::route_of(&req);
    let mut resp = next.run(req).instrument(span.clone()).await;
    let us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
    let status = resp.status().as_u16();
    st.metrics.http.observe(route.as_ref(), &method, status, us);
    if let Ok(v) = HeaderValue::from_str(&info.id) {
        resp.headers_mut().insert("request-id", v);
    }
    if let Ok(v) = HeaderValue::from_str(&ours.to_string()) {
        resp.headers_mut().insert("traceparent", v);
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
    span.record("http.response.status_code", status);
    span.in_scope(|| {
        tracing::info!(
            target: "paygate::access",
            %method,
            %path,
            status,
            duration_us = us,
            request_id = %info.id,
            merchant = %info.merchant.get().map_or("-", String::as_str),
            "request"
        )
    });
    if let Some(merchant) = info.merchant.get()
        && st.request_log.watched()
    {
        st.request_log.publish(RequestLine {
            merchant: merchant.clone(),
            created: st.now(),
            method: method.to_string(),
            path,
            status,
            request_id: info.id,
            duration_ms: us / 1_000,
            idempotency_key,
        });
    }
    resp
}

/// The request's span: its ids ([`crate::trace_context`]'s fields), method and path (never the
/// query string: it may carry card data), and the merchant and status once known.
fn request_span(
    id: &str,
    req: &Request,
    ours: TraceParent,
    caller: Option<TraceParent>,
) -> tracing::Span {
    tracing::info_span!(
        "http.request",
        trace_id = %ours.trace_id,
        span_id = %ours.span_id,
        parent_span_id = caller.map(|c| tracing::field::display(c.span_id)),
        sampled = ours.sampled,
        request_id = %id,
        http.request.method = %req.method(),
        url.path = %req.uri().path(),
        merchant = tracing::field::Empty,
        payment_intent = tracing::field::Empty,
        http.response.status_code = tracing::field::Empty,
    )
}
