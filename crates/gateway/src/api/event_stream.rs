//! `GET /v1/events/stream`: the caller's own events as server-sent events, oldest first, for
//! `paygate listen` (docs/DEVELOPERS.md). Secret keys only; each SSE message is one event:
//! `id:` the event id, `event:` its type, `data:` the event object as `GET /v1/events/{id}`
//! returns it.
//!
//! The stream starts after the event named by `starting_after` or the `Last-Event-ID` header
//! (what a reconnecting client sends), so a reconnect loses nothing; without either it starts
//! at the caller's newest event (only what happens from now on). `types[]` keeps only those
//! event types. It reads the store's event feed (the events after the last one sent, every
//! [`TICK_MS`]), so it sees events written by any gateway process on the same database; the
//! feed is in commit order, so an event that commits late is not skipped. It
//! ends after [`MAX_STREAM_S`] (the client reconnects with `Last-Event-ID`) and when the
//! server shuts down; at most [`MAX_STREAMS`] run at once in one process (else 503).
//!
//! Not in the OpenAPI table (`operations.rs`): the document describes JSON operations, and a
//! response that never ends cannot be checked by schemathesis. docs/API.md lists it.

use crate::auth::secret_key_required;
use crate::error::{ApiError, ApiResult};
use crate::http::{Req, error_response};
use crate::params::typed::{List, Text};
use crate::render::public;
use crate::state::SharedState;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use paygate_store::{ListFilter, ObjectRow, Scope};
use serde::Deserialize;
use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// How often the stream looks for new events.
pub const TICK_MS: u64 = 250;
/// How long one stream lasts before the client reconnects.
pub const MAX_STREAM_S: u64 = 1_800;
/// Most event streams open at once in this process.
pub const MAX_STREAMS: usize = 64;
/// Events read per query.
const PAGE: usize = 100;
/// Most event types in one `types[]` filter (as `GET /v1/events`).
const MAX_TYPES: usize = 20;
/// The client's wait before reconnecting, milliseconds.
const RETRY_MS: u64 = 1_000;

/// The long-lived streams of this process share this limit.
pub(crate) fn stream_permit(
    which: &'static OnceLock<Arc<Semaphore>>,
) -> ApiResult<OwnedSemaphorePermit> {
    which
        .get_or_init(|| Arc::new(Semaphore::new(MAX_STREAMS)))
        .clone()
        .try_acquire_owned()
        .map_err(|_| {
            ApiError::service_unavailable(
                "too_many_streams",
                format!("At most {MAX_STREAMS} streams may be open at once; try again later."),
            )
        })
}

static STREAMS: OnceLock<Arc<Semaphore>> = OnceLock::new();

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StreamParams {
    starting_after: Option<Text<255>>,
    types: Option<List>,
}

/// What one stream has sent and still has to send.
struct Tail {
    st: SharedState,
    scope: Scope,
    filters: Vec<ListFilter>,
    /// Where the stream started: the event it starts after.
    start: Option<String>,
    /// The last event queued: where the next read of the feed starts.
    last: Option<String>,
    ready: VecDeque<ObjectRow>,
    until: Instant,
    _permit: OwnedSemaphorePermit,
}

pub async fn stream(State(st): State<SharedState>, headers: HeaderMap, req: Req) -> Response {
    match open(st, &headers, req).await {
        Ok(tail) => sse(tail),
        Err(e) => error_response(e),
    }
}

async fn open(st: SharedState, headers: &HeaderMap, mut req: Req) -> ApiResult<Tail> {
    if !req.caller.secret {
        return Err(secret_key_required());
    }
    let p: StreamParams = req.params.typed()?;
    let mut filters = Vec::new();
    if let Some(types) = p.types {
        if types.0.len() > MAX_TYPES {
            return Err(ApiError::bad_param(
                "types",
                format!("at most {MAX_TYPES} event types."),
            ));
        }
        filters.push(ListFilter::TagIn(types.0));
    }
    let header_cursor = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    let cursor = header_cursor.or(p.starting_after.map(|t| t.0));
    let scope = req.caller.scope();
    let mut tail = Tail {
        _permit: stream_permit(&STREAMS)?,
        start: None,
        last: None,
        ready: VecDeque::new(),
        until: Instant::now() + Duration::from_secs(MAX_STREAM_S),
        st,
        scope,
        filters,
    };
    match cursor {
        Some(id) => {
            let known = tail.st.store.get_object(&tail.scope, &id).await?;
            if known.is_none_or(|r| r.kind != "event") {
                return Err(ApiError::invalid(
                    "starting_after",
                    "resource_missing",
                    format!(
                        "No such event: '{}' (starting_after and Last-Event-ID name one of your events).",
                        crate::error::echo(&id)
                    ),
                ));
            }
            tail.start = Some(id.clone());
            tail.last = Some(id);
            tail.fill().await?;
        }
        None => tail.last = tail.st.store.event_feed_end(&tail.scope).await?,
    }
    if tail.start.is_none() {
        tail.start.clone_from(&tail.last);
    }
    Ok(tail)
}

/// The first message names the stream's starting point as its `id` (no data): a client that
/// reconnects before any event came sends it back as `Last-Event-ID` and misses nothing.
fn sse(tail: Tail) -> Response {
    let mut first = Event::default()
        .retry(Duration::from_millis(RETRY_MS))
        .comment("paygate events");
    if let Some(start) = &tail.start {
        first = first.id(start.clone());
    }
    let events = futures_util::stream::unfold((tail, Some(first)), |(mut t, first)| async move {
        let ev = match first {
            Some(ev) => ev,
            None => t.next().await?,
        };
        Some((Ok::<_, Infallible>(ev), (t, None)))
    });
    Sse::new(events)
        .keep_alive(KeepAlive::default())
        .into_response()
}

impl Tail {
    /// The next event to send; `None` ends the stream.
    async fn next(&mut self) -> Option<Event> {
        let mut shutdown = self.st.shutdown.clone();
        loop {
            if let Some(row) = self.ready.pop_front() {
                let kind = row.tag.clone().unwrap_or_default();
                let data = public(row.data).to_string();
                return Some(Event::default().id(row.id).event(kind).data(data));
            }
            if Instant::now() >= self.until {
                return None;
            }
            let tick = tokio::time::sleep(Duration::from_millis(TICK_MS));
            match &mut shutdown {
                Some(rx) => tokio::select! {
                    () = tick => {}
                    _ = rx.wait_for(|stop| *stop) => return None,
                },
                None => tick.await,
            }
            if let Err(e) = self.fill().await {
                tracing::warn!(error = %e.message, "event stream read failed");
            }
        }
    }

    /// Queues the events after `last`, oldest first, in the store's commit order (an event
    /// that commits late still comes after `last`: `Store::event_feed`).
    async fn fill(&mut self) -> Result<(), ApiError> {
        let batch = self
            .st
            .store
            .event_feed(&self.scope, self.last.as_deref(), &self.filters, PAGE)
            .await?;
        if let Some(newest) = batch.last() {
            self.last = Some(newest.id.clone());
        }
        self.ready.extend(batch);
        Ok(())
    }
}
