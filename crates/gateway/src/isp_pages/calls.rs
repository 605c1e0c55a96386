//! The JSON calls of the ISP page's script: the proxies to the ISP server (encryption key,
//! enrolment) and the confirm of the signed payment. Each is authorised by the page token and
//! the intent id in headers ([`super::TOKEN_HEADER`], [`super::INTENT_HEADER`]); a refusal is
//! the Stripe error object with its message in the payer's language.

use super::{INTENT_HEADER, TOKEN_HEADER, check_token, load, locale};
use crate::error::{ApiError, ErrorType};
use crate::methods::isp::IspSubmission;
use crate::methods::isp::client::IspClient;
use crate::response::json_response;
use crate::state::SharedState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use paygate_payer_pages::{self as pp, CsrfError, Locale, RedirectStatus};
use serde_json::{Value, json};

/// Largest request body read from the page (a CSR, a JWE, a certificate: a few KiB).
const BODY_BYTES_MAX: usize = 32 * 1024;

/// A refusal to the script: HTTP status and the error object, worded for the payer.
fn refuse(status: StatusCode, kind: ErrorType, code: &str, l: Locale) -> Response {
    let body = json!({"error": {
        "type": kind.as_str(),
        "code": code,
        "message": pp::isp_error_text(l, code),
    }});
    json_response(status, &body)
}

/// Why a call of the script is refused before anything else is done.
struct Refusal {
    status: StatusCode,
    code: &'static str,
}

impl Refusal {
    fn respond(self, l: Locale) -> Response {
        refuse(self.status, ErrorType::InvalidRequest, self.code, l)
    }
}

/// The page token and intent id of a call, checked: the intent id.
fn authorise(st: &SharedState, headers: &HeaderMap) -> Result<String, Refusal> {
    let get = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    };
    let id = get(INTENT_HEADER).to_string();
    let code = match check_token(st, get(TOKEN_HEADER), &id) {
        Ok(()) => return Ok(id),
        Err(CsrfError::Expired) => "isp_page_expired",
        Err(_) => "isp_page_token_invalid",
    };
    Err(Refusal {
        status: StatusCode::FORBIDDEN,
        code,
    })
}

/// The JSON object of a POST from the script (`Content-Type: application/json`, bounded).
fn json_body(headers: &HeaderMap, body: &[u8]) -> Result<Value, Refusal> {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let bad = || Refusal {
        status: StatusCode::BAD_REQUEST,
        code: "parameter_invalid",
    };
    if !is_json || body.len() > BODY_BYTES_MAX {
        return Err(bad());
    }
    serde_json::from_slice::<Value>(body)
        .ok()
        .filter(Value::is_object)
        .ok_or_else(bad)
}

/// The ISP server's client (`isp_url`), when one is configured.
fn isp_client(st: &SharedState) -> Result<&IspClient, ApiError> {
    st.isp
        .as_deref()
        .ok_or_else(|| ApiError::internal("isp_url is not configured"))
}

/// The ISP server's answer relayed to the script: the JSON as it is on success; a refusal
/// keeps its status and code, worded for the payer; the gateway's own failure is a 502.
fn relay(answer: Result<(u16, Value), ApiError>, l: Locale) -> Response {
    match answer {
        Ok((status, v)) if (200..300).contains(&status) => json_response(StatusCode::OK, &v),
        Ok((status, v)) if (400..500).contains(&status) => {
            let code = v["error"]["code"].as_str().unwrap_or("isp_refused");
            let kind = match status {
                402 => ErrorType::Card,
                _ => ErrorType::InvalidRequest,
            };
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
            refuse(status, kind, code, l)
        }
        Ok((status, _)) => {
            tracing::warn!(status, "ISP server answered the page's call with an error");
            refuse(
                StatusCode::BAD_GATEWAY,
                ErrorType::Api,
                "isp_unavailable",
                l,
            )
        }
        Err(e) => {
            tracing::warn!(error = %e.message, "ISP server not reached for the page");
            refuse(
                StatusCode::BAD_GATEWAY,
                ErrorType::Api,
                "isp_unavailable",
                l,
            )
        }
    }
}

/// `GET /pay/isp/encryption_key`: the ISP server's public JWK the card is encrypted to.
pub(super) async fn encryption_key(State(st): State<SharedState>, headers: HeaderMap) -> Response {
    let l = locale(None, &headers);
    if let Err(r) = authorise(&st, &headers) {
        return r.respond(l);
    }
    let answer = match isp_client(&st) {
        Ok(c) => c.get_json("/v1/encryption_key").await,
        Err(e) => Err(e),
    };
    relay(answer, l)
}

/// `POST /pay/isp/enroll` `{csr, card, password_set}`: relayed to the ISP server's enrolment
/// as it is (the card is a JWE to the ISP server: the gateway cannot read it).
pub(super) async fn enroll(
    State(st): State<SharedState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let l = locale(None, &headers);
    if let Err(r) = authorise(&st, &headers) {
        return r.respond(l);
    }
    let req = match json_body(&headers, &body) {
        Ok(v) => v,
        Err(r) => return r.respond(l),
    };
    let fwd = json!({
        "csr": req["csr"],
        "card": req["card"],
        "password_set": req["password_set"],
    });
    let answer = match isp_client(&st) {
        Ok(c) => c.post_json("/v1/enroll", &fwd).await,
        Err(e) => Err(e),
    };
    relay(answer, l)
}

/// `POST /pay/isp/{id}/confirm` `{certificate, signed_data, signature, card}`: the API's
/// confirm of the signed payment; answers `{status, redirect}` (the shop's `return_url` with
/// `payment_intent` and `redirect_status`, else the payer's status page).
pub(super) async fn confirm(
    State(st): State<SharedState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let l = locale(None, &headers);
    match authorise(&st, &headers) {
        Ok(token_for) if token_for == id => {}
        Ok(_) => {
            let status = StatusCode::FORBIDDEN;
            return refuse(
                status,
                ErrorType::InvalidRequest,
                "isp_page_token_invalid",
                l,
            );
        }
        Err(r) => return r.respond(l),
    }
    let sub = match json_body(&headers, &body) {
        Ok(v) => v,
        Err(r) => return r.respond(l),
    };
    let Ok(sub) = serde_json::from_value::<IspSubmission>(sub) else {
        let status = StatusCode::BAD_REQUEST;
        return refuse(status, ErrorType::InvalidRequest, "parameter_missing", l);
    };
    let Some((row, _)) = load(&st, &id).await else {
        return refuse(
            StatusCode::NOT_FOUND,
            ErrorType::InvalidRequest,
            "resource_missing",
            l,
        );
    };
    match crate::methods::isp::confirm_from_page(&st, &row, sub).await {
        Ok(intent) => json_response(StatusCode::OK, &done(&st, &id, &intent).await),
        Err(e) => {
            let mut body = e.body();
            body["error"]["message"] = json!(pp::isp_error_text(l, e.code.unwrap_or("")));
            json_response(e.status, &body)
        }
    }
}

/// `{status, redirect}` for a confirmed intent.
async fn done(st: &SharedState, id: &str, intent: &Value) -> Value {
    let status = intent["status"].as_str().unwrap_or_default();
    let finished = match status {
        "succeeded" | "requires_capture" => RedirectStatus::Succeeded,
        _ => RedirectStatus::Failed,
    };
    let loaded = load(st, id).await;
    let back = loaded.as_ref().and_then(|(_, pi)| {
        let url = pi.return_url.as_deref()?;
        pp::return_url(url, id, &pi.client_secret, finished).ok()
    });
    let redirect = match (back, loaded) {
        (Some(u), _) => u.as_str().to_string(),
        (None, Some((_, pi))) => st.pages.url(&format!(
            "/pay/payment_intents/{id}?client_secret={}",
            pi.client_secret
        )),
        (None, None) => String::new(),
    };
    json!({"status": status, "redirect": redirect})
}
