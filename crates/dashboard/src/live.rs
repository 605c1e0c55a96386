//! Live updates of the payments list: `GET /dashboard/payments/live` is a stream of
//! server-sent events, one `payment` event (its data the object's id) when a payment or charge
//! event of the viewer's merchants is recorded, and [`SCRIPT`] — the list page's only script,
//! under the response's CSP nonce — fetches the list again and swaps it in. Without
//! JavaScript the page is the same, just not live.
//!
//! The stream watches the store's event outbox (events newer than the last one it saw, once a
//! [`TICK_MS`]), so it sees payments made by any process on the same database. It never
//! keeps a session alive: it reads the session without touching its idle time, ends when
//! the session ends (logout, idle timeout), after [`MAX_STREAM_S`] (the browser reconnects),
//! and when the server shuts down; at most [`MAX_STREAMS`] run at once (else 503).

use crate::payments::merchants;
use crate::session::{self, COOKIE};
use crate::tables;
use crate::users;
use crate::web;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use paygate_gateway::state::SharedState;
use paygate_store::{ListQuery, Scope};
use std::convert::Infallible;
use std::time::{Duration, Instant};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// How often the stream looks for new events.
pub const TICK_MS: u64 = 1_000;
/// How long one stream lasts before the browser reconnects (`retry` below).
pub const MAX_STREAM_S: u64 = 300;
/// Most streams open at once in this process.
pub const MAX_STREAMS: usize = 64;
/// Most new events read per merchant per tick (the rest on the next tick).
const EVENTS_PER_TICK: usize = 100;
/// The browser's wait before reconnecting, milliseconds.
const RETRY_MS: u64 = 2_000;

fn streams() -> &'static std::sync::Arc<Semaphore> {
    static STREAMS: std::sync::OnceLock<std::sync::Arc<Semaphore>> = std::sync::OnceLock::new();
    STREAMS.get_or_init(|| std::sync::Arc::new(Semaphore::new(MAX_STREAMS)))
}

/// The progressive enhancement of the payments list: on a `payment` event, fetch the list
/// again (marked `pgdash-refresh`: the server answers only the list, and the request does
/// not count as the user's activity), parse it in an inert `<template>` and replace
/// `#payment-list` with it; announce it in the `#live-status` region.
pub const SCRIPT: &str = r#"(function () {
  var list = document.getElementById("payment-list");
  var status = document.getElementById("live-status");
  if (!list || !status || !window.EventSource || !window.fetch) return;
  var source = new EventSource("/dashboard/payments/live" + location.search);
  source.addEventListener("open", function () { status.setAttribute("data-live", "on"); });
  source.addEventListener("payment", function () {
    fetch(location.href, { credentials: "same-origin", headers: { "pgdash-refresh": "1" } })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (text) {
        var t = document.createElement("template");
        t.innerHTML = text;
        var fresh = t.content.getElementById("payment-list");
        if (!fresh) return;
        list.replaceWith(fresh);
        list = fresh;
        status.textContent = status.getAttribute("data-updated");
      })
      .catch(function () {});
  });
})();"#;

/// What one stream watches.
struct Watch {
    st: SharedState,
    token: String,
    /// Each merchant's scope and the newest event seen in it.
    scopes: Vec<(Scope, Option<String>)>,
    until: Instant,
    _permit: OwnedSemaphorePermit,
}

/// `GET /dashboard/payments/live`: 204 without a live session (the browser stops
/// reconnecting), 503 when too many streams are open, else the stream.
pub async fn stream(
    State(st): State<SharedState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let Some(token) = session::read_cookie(web::cookie_header(&headers), COOKIE) else {
        return StatusCode::NO_CONTENT.into_response();
    };
    let user = match session::load_untouched(&st.store, token, st.clock.now()).await {
        Ok(Some((s, _))) if s.stage == session::Stage::Active => s.user,
        _ => return StatusCode::NO_CONTENT.into_response(),
    };
    let role = match users::by_id(&st.store, &user).await {
        Ok(Some((u, _))) => u.role,
        _ => return StatusCode::NO_CONTENT.into_response(),
    };
    let Ok(permit) = streams().clone().try_acquire_owned() else {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    };
    let livemode = tables::livemode(&web::query(raw.as_deref()));
    let mut scopes = Vec::new();
    for m in merchants(&st, &role).await.unwrap_or_default() {
        let scope = Scope {
            merchant_id: m,
            livemode,
        };
        let newest = newer_events(&st, &scope, None, 1).await.unwrap_or_default();
        scopes.push((scope, newest.first().map(|e| e.0.clone())));
    }
    let watch = Watch {
        st,
        token: token.to_string(),
        scopes,
        until: Instant::now() + Duration::from_secs(MAX_STREAM_S),
        _permit: permit,
    };
    let first = Event::default()
        .retry(Duration::from_millis(RETRY_MS))
        .comment("live");
    let events = futures_util::stream::unfold((watch, Some(first)), |(mut w, first)| async move {
        let ev = match first {
            Some(ev) => ev,
            None => w.next().await?,
        };
        Some((Ok::<_, Infallible>(ev), (w, None)))
    });
    let mut resp = Sse::new(events)
        .keep_alive(KeepAlive::default())
        .into_response();
    crate::layout::security_headers(resp.headers_mut());
    resp
}

/// `(id, type, object id)` of the events of `scope` newer than `after` (newest first).
async fn newer_events(
    st: &SharedState,
    scope: &Scope,
    after: Option<String>,
    limit: usize,
) -> Result<Vec<(String, String, String)>, String> {
    let mut q = ListQuery::new("event", limit);
    q.ending_before = after;
    let page = st
        .store
        .list_objects(scope, &q)
        .await
        .map_err(|e| e.to_string())?;
    Ok(page
        .data
        .into_iter()
        .map(|r| {
            let kind = tables::s(&r.data, "type");
            let object = r.data["data"]["object"]["id"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            (r.id, kind, object)
        })
        .collect())
}

/// Whether an event type tells of a payment's change.
pub fn is_payment_event(kind: &str) -> bool {
    kind.starts_with("payment_intent.") || kind.starts_with("charge.")
}

impl Watch {
    /// Waits for the next payment event; `None` ends the stream.
    async fn next(&mut self) -> Option<Event> {
        let mut shutdown = self.st.shutdown.clone();
        loop {
            let tick = tokio::time::sleep(Duration::from_millis(TICK_MS));
            match &mut shutdown {
                Some(rx) => tokio::select! {
                    () = tick => {}
                    _ = rx.wait_for(|stop| *stop) => return None,
                },
                None => tick.await,
            }
            if Instant::now() >= self.until || !self.session_live().await {
                return None;
            }
            if let Some(id) = self.poll().await {
                return Some(Event::default().event("payment").data(id));
            }
        }
    }

    async fn session_live(&self) -> bool {
        let now = self.st.clock.now();
        matches!(
            session::load_untouched(&self.st.store, &self.token, now).await,
            Ok(Some((s, _))) if s.stage == session::Stage::Active
        )
    }

    /// The object of the newest payment event recorded since the last poll, if any.
    async fn poll(&mut self) -> Option<String> {
        let mut found = None;
        for (scope, last) in &mut self.scopes {
            let Ok(events) = newer_events(&self.st, scope, last.clone(), EVENTS_PER_TICK).await
            else {
                continue;
            };
            if let Some(newest) = events.first() {
                *last = Some(newest.0.clone());
            }
            if found.is_none() {
                found = events
                    .into_iter()
                    .find(|e| is_payment_event(&e.1))
                    .map(|e| e.2);
            }
        }
        found
    }
}
