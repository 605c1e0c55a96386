//! The HTTP server: routes, JSON bodies, the `{"error":{"code","message"}}` answers.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use paygate_isp::{IspCheck, PublicJwk, cert};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::json;

use crate::journal::JournalEntry;
use crate::{Sim, enroll, verify};

/// Largest request body accepted, in bytes (a verify request is a few kilobytes).
const MAX_BODY_BYTES: usize = 64 * 1024;

/// The routes (the kit's `http_sim::serve` adds the faults and serves them).
pub(crate) fn router(sim: Arc<Sim>) -> Router {
    Router::new()
        .route("/v1/ca", get(ca))
        .route("/v1/encryption_key", get(encryption_key))
        .route("/v1/enroll", post(enroll::enroll))
        .route("/v1/verify", post(verify::verify))
        .route("/v1/revoke", post(revoke))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(sim)
}

/// A 200 JSON answer.
pub(crate) fn ok<T: Serialize>(body: &T) -> Response {
    match serde_json::to_string(body) {
        Ok(body) => ([(header::CONTENT_TYPE, "application/json")], body).into_response(),
        Err(e) => internal(&e.to_string()),
    }
}

/// The refusal `check` with its status.
pub(crate) fn refusal(check: IspCheck) -> Response {
    let status = StatusCode::from_u16(check.http_status()).unwrap_or(StatusCode::BAD_REQUEST);
    let body = json!({"error": {"code": check.code(), "message": check.message()}});
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// A 500 (the journal could not be written: nothing was issued or verified).
pub(crate) fn internal(what: &str) -> Response {
    tracing::error!(error = what, "ISP simulator request failed");
    let body = json!({"error": {"code": "isp_server_error", "message": "internal error"}});
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// Parses a JSON body.
pub(crate) fn body<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, IspCheck> {
    serde_json::from_slice(bytes).map_err(|_| IspCheck::RequestInvalid)
}

/// `GET /v1/ca`: root first, then the issuing CA.
async fn ca(State(sim): State<Arc<Sim>>) -> Response {
    let pems = [&sim.keys.root.certificate, &sim.keys.issuing.certificate]
        .into_iter()
        .map(cert::to_pem)
        .collect::<Result<Vec<_>, _>>();
    match pems {
        Ok(certificates) => ok(&json!({ "certificates": certificates })),
        Err(e) => internal(&e.to_string()),
    }
}

/// `GET /v1/encryption_key`.
async fn encryption_key(State(sim): State<Arc<Sim>>) -> Response {
    ok(&PublicJwk::encryption_key(
        &sim.keys.encryption.public_key(),
        &sim.keys.kid,
    ))
}

#[derive(serde::Deserialize)]
struct RevokeRequest {
    serial: String,
}

/// `POST /v1/revoke` (test helper).
async fn revoke(State(sim): State<Arc<Sim>>, bytes: Bytes) -> Response {
    let req: RevokeRequest = match body(&bytes) {
        Ok(r) => r,
        Err(check) => return refusal(check),
    };
    let serial = req.serial.trim().to_ascii_lowercase();
    let mut entry = JournalEntry {
        at_ms: sim.now_ms(),
        kind: "revoke".to_owned(),
        result: "revoked".to_owned(),
        serial: Some(serial.clone()),
        ..JournalEntry::default()
    };
    let known = match sim.store.card(&serial) {
        Ok(card) => card.is_some(),
        Err(e) => return internal(&e.to_string()),
    };
    if !known {
        entry.result = IspCheck::CertificateUnknown.code().to_owned();
    }
    if let Err(e) = sim.store.revoke(&serial, &entry) {
        return internal(&e.to_string());
    }
    if known {
        ok(&json!({"serial": serial, "revoked": true}))
    } else {
        refusal(IspCheck::CertificateUnknown)
    }
}
