//! The request log feed: the access log ([`crate::access_log::observe`]) publishes one
//! [`RequestLine`] per API request here, and `GET /v1/request_log/stream` (`paygate logs
//! tail`, docs/DEVELOPERS.md) streams the caller's own lines as server-sent events — method,
//! path, status, request id, duration, idempotency key; never bodies or query strings (they
//! carry card data). Secret keys only. Lines are this process's (a gateway behind a load
//! balancer shows each instance's share); a stream too slow to keep up is told how many
//! that it missed some (`event: lagged`). Not in the OpenAPI table, as `/v1/events/stream`.

use crate::api::event_stream::stream_permit;
use crate::auth::secret_key_required;
use crate::error::ApiResult;
use crate::http::{Req, error_response};
use crate::state::SharedState;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use std::convert::Infallible;
use std::sync::{Arc, OnceLock};
use tokio::sync::broadcast::{self, error::RecvError};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Lines kept for a slow stream before it misses some.
const BUFFER: usize = 1_024;

/// One API request, as `logs tail` shows it.
#[derive(Clone, Debug, Serialize)]
pub struct RequestLine {
    /// The merchant the request authenticated as (never sent: streams are per merchant).
    #[serde(skip)]
    pub merchant: String,
    /// Unix seconds at the response.
    pub created: i64,
    pub method: String,
    pub path: String,
    pub status: u16,
    pub request_id: String,
    pub duration_ms: u64,
    pub idempotency_key: Option<String>,
}

/// The feed of every authenticated request's line in this process.
pub struct RequestLog {
    tx: broadcast::Sender<Arc<RequestLine>>,
}

impl Default for RequestLog {
    fn default() -> Self {
        RequestLog {
            tx: broadcast::channel(BUFFER).0,
        }
    }
}

impl RequestLog {
    /// Whether a stream is open (else the access log builds no line: the hot path stays as it
    /// was when nobody tails).
    pub fn watched(&self) -> bool {
        self.tx.receiver_count() > 0
    }

    /// Hands the line to the open streams.
    pub fn publish(&self, line: RequestLine) {
        let _ = self.tx.send(Arc::new(line));
    }
}

static STREAMS: OnceLock<Arc<Semaphore>> = OnceLock::new();

/// `GET /v1/request_log/stream`: one `request` event per request of the caller's merchant,
/// its data a [`RequestLine`] as JSON.
pub async fn stream(State(st): State<SharedState>, mut req: Req) -> Response {
    match open(&mut req) {
        Ok(permit) => {
            let watch = Watch {
                rx: st.request_log.tx.subscribe(),
                merchant: req.caller.merchant.id.clone(),
                shutdown: st.shutdown.clone(),
                _permit: permit,
            };
            sse(watch)
        }
        Err(e) => error_response(e),
    }
}

fn open(req: &mut Req) -> ApiResult<OwnedSemaphorePermit> {
    if !req.caller.secret {
        return Err(secret_key_required());
    }
    req.params.typed::<crate::api::NoParams>()?;
    stream_permit(&STREAMS)
}

struct Watch {
    rx: broadcast::Receiver<Arc<RequestLine>>,
    merchant: String,
    shutdown: Option<tokio::sync::watch::Receiver<bool>>,
    _permit: OwnedSemaphorePermit,
}

impl Watch {
    /// The next line of the merchant; `None` ends the stream.
    async fn next(&mut self) -> Option<Event> {
        loop {
            let got = match &mut self.shutdown {
                Some(stop) => tokio::select! {
                    got = self.rx.recv() => got,
                    _ = stop.wait_for(|s| *s) => return None,
                },
                None => self.rx.recv().await,
            };
            match got {
                Ok(line) if line.merchant == self.merchant => {
                    let data = serde_json::to_string(&*line).unwrap_or_default();
                    return Some(Event::default().event("request").data(data));
                }
                Ok(_) => {}
                // The count covers every merchant's lines: not told, only that some were lost.
                Err(RecvError::Lagged(_)) => {
                    return Some(Event::default().event("lagged").data("lines were dropped"));
                }
                Err(RecvError::Closed) => return None,
            }
        }
    }
}

fn sse(watch: Watch) -> Response {
    let first = Event::default().comment("paygate request log");
    let events = futures_util::stream::unfold((watch, Some(first)), |(mut w, first)| async move {
        let ev = match first {
            Some(ev) => ev,
            None => w.next().await?,
        };
        Some((Ok::<_, Infallible>(ev), (w, None)))
    });
    Sse::new(events)
        .keep_alive(KeepAlive::default())
        .into_response()
}
