//! The HTTP routes: `POST /v1/messages`, `GET /v1/messages?phone=…`, and the
//! `{"error":{"code","message","param"}}` answers.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::journal::Message;
use crate::store::Store;
use paygate_sim_kit::clock::SimClock;
use paygate_sim_kit::faults::Faults;

/// Largest request body accepted, in bytes.
const MAX_BODY_BYTES: usize = 8 * 1024;
/// Longest message text accepted, in characters (a long concatenated SMS).
pub const BODY_CHARS_MAX: usize = 1000;
/// Shortest and longest phone numbers accepted, in digits (E.164 allows 15).
const PHONE_DIGITS: std::ops::RangeInclusive<usize> = 8..=15;

/// What the handlers share: the journal, the run-time faults and the clock.
pub(crate) type Shared = (Arc<Store>, Arc<Faults>, SimClock);

/// The routes (the kit's `http_sim::serve` adds the faults middleware and serves them).
pub(crate) fn router(shared: Shared) -> Router {
    Router::new()
        .route("/v1/messages", post(send).get(inbox))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(shared)
}

fn answer(status: StatusCode, body: Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn invalid(param: &str, message: &str) -> Response {
    let body = json!({"error": {"code": "parameter_invalid", "param": param, "message": message}});
    answer(StatusCode::BAD_REQUEST, body)
}

/// A phone number as digits only, or why not.
fn phone(raw: &str) -> Result<String, &'static str> {
    if !raw
        .chars()
        .all(|c| c.is_ascii_digit() || c == '-' || c == ' ' || c == '+')
    {
        return Err("must be a phone number: digits, optionally with '+', '-' or spaces");
    }
    let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
    if !PHONE_DIGITS.contains(&digits.len()) {
        return Err("must have 8 to 15 digits");
    }
    Ok(digits)
}

#[derive(Deserialize)]
struct Send {
    phone: Option<String>,
    body: Option<String>,
    sender: Option<String>,
}

/// `POST /v1/messages`: journals the message, then 202 `{"id"}`; an injected decline (run-time
/// faults) answers 503 `undeliverable` and journals nothing.
async fn send(State((store, faults, clock)): State<Shared>, raw: Bytes) -> Response {
    let Ok(req) = serde_json::from_slice::<Send>(&raw) else {
        return invalid(
            "body",
            "must be a JSON object {\"phone\",\"body\",\"sender\"}",
        );
    };
    let phone = match phone(req.phone.as_deref().unwrap_or_default()) {
        Ok(p) => p,
        Err(rule) => return invalid("phone", rule),
    };
    let body = req.body.unwrap_or_default();
    if body.is_empty() || body.chars().count() > BODY_CHARS_MAX {
        return invalid("body", "must be 1 to 1000 characters");
    }
    let sender = req.sender.unwrap_or_default();
    if sender.is_empty() || sender.len() > 40 {
        return invalid("sender", "must be 1 to 40 characters");
    }
    if let Some(code) = faults.decline() {
        let body =
            json!({"error": {"code": code, "message": "the carrier did not take the message"}});
        return answer(StatusCode::SERVICE_UNAVAILABLE, body);
    }
    let m = Message {
        id: format!("sms_{}", uuid::Uuid::now_v7().simple()),
        phone,
        body,
        sender,
        created_ms: clock.now_ms(),
    };
    if let Err(e) = store.insert(&m) {
        tracing::error!(error = %e, "SMS journal write failed");
        let body = json!({"error": {"code": "sms_server_error", "message": "internal error"}});
        return answer(StatusCode::INTERNAL_SERVER_ERROR, body);
    }
    tracing::info!(id = %m.id, "SMS accepted");
    answer(StatusCode::ACCEPTED, json!({"id": m.id}))
}

#[derive(Deserialize)]
struct InboxQuery {
    phone: Option<String>,
}

/// `GET /v1/messages?phone=…`: the phone's messages, newest first.
async fn inbox(State((store, _, _)): State<Shared>, Query(q): Query<InboxQuery>) -> Response {
    let phone = match phone(q.phone.as_deref().unwrap_or_default()) {
        Ok(p) => p,
        Err(rule) => return invalid("phone", rule),
    };
    match store.inbox(&phone) {
        Ok(data) => answer(StatusCode::OK, json!({"object": "list", "data": data})),
        Err(e) => {
            tracing::error!(error = %e, "SMS journal read failed");
            let body = json!({"error": {"code": "sms_server_error", "message": "internal error"}});
            answer(StatusCode::INTERNAL_SERVER_ERROR, body)
        }
    }
}
