//! The HTTP server: the DS and ACS routes on one axum router, JSON answers, graceful shutdown.

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

/// Serves until `shutdown` turns true, then lets requests in progress finish.
pub(crate) async fn serve(
    listener: tokio::net::TcpListener,
    sim: Arc<Sim>,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) {
    let app = Router::new()
        .route("/ds/preq", post(ds::preq))
        .route("/ds/areq", post(ds::areq))
        .route("/acs/challenge", post(acs::challenge::creq))
        .route("/acs/challenge/submit", post(acs::challenge::submit))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&sim.faults),
            paygate_sim_kit::faults::http,
        ))
        .with_state(sim);
    let stop = async move {
        let _ = shutdown.wait_for(|s| *s).await;
    };
    if let Err(e) = axum::serve(listener, app)
        .with_graceful_shutdown(stop)
        .await
    {
        tracing::error!(error = %e, "3-D Secure simulator server stopped");
    }
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
