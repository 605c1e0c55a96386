//! The HTTP routes: the DS and ACS on one axum router, JSON answers.

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde::Serialize;

use crate::{Sim, acs, ds};

/// Largest request body accepted, in bytes (an AReq is a few kilobytes).
const MAX_BODY_BYTES: usize = 64 * 1024;

/// The DS and ACS routes (the kit's `http_sim::serve` adds the faults and serves them).
pub(crate) fn router(sim: Arc<Sim>) -> Router {
    Router::new()
        .route("/ds/preq", post(ds::preq))
        .route("/ds/areq", post(ds::areq))
        .route("/acs/challenge", post(acs::challenge::creq))
        .route("/acs/challenge/submit", post(acs::challenge::submit))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(sim)
}

/// A JSON message answered with HTTP 200 (also Erro: the protocol carries the error).
pub(crate) fn json<T: Serialize>(message: &T) -> Response {
    match serde_json::to_string(message) {
        Ok(body) => ([(header::CONTENT_TYPE, "application/json")], body).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "message did not serialize");
            axum::http::StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}
