//! The 3-D Secure routes under `/pay/3ds/…`:
//!
//! - `GET /pay/3ds/{pi}/start?client_secret=…` — the payer's browser, sent by
//!   `next_action.redirect_to_url.url`: a page that posts the CReq (`creq`) and a signed
//!   `threeDSSessionData` to the ACS (auto-post, with a `<noscript>` button);
//! - `POST /pay/3ds/rreq` — the DS, server to server (`threeDSServerURL`): the RReq with the
//!   result of the challenge, stored in the intent, answered RRes or Erro (JSON, HTTP 200);
//! - `POST /pay/3ds/{pi}/complete` — the browser back from the ACS (`notificationURL`) with
//!   `cres`: checked against the stored transaction (a replayed or forged one gets an error
//!   page and charges nothing), then the intent resumes and the browser is sent (303) to the
//!   shop's `return_url` with `redirect_status=succeeded|failed`.

use crate::models::{PaymentIntent, from_value, to_value};
use crate::pages::respond;
use crate::state::SharedState;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use paygate_payer_pages::{
    self as pp, Locale, MessageKind, Msg, PageContext, WebUrl, csrf::Purpose,
};
use paygate_payments::PaymentIntentStatus as Status;
use paygate_store::{ObjectRow, Op, WriteUnit};
use paygate_three_ds::{RreqResult, ThreeDsServer};

/// The 3-D Secure routes.
pub fn router(state: SharedState) -> Router {
    Router::new()
        .route("/pay/3ds/rreq", post(rreq))
        .route("/pay/3ds/{id}/start", get(start))
        .route("/pay/3ds/{id}/complete", post(complete))
        .with_state(state)
}

fn page_context(headers: &HeaderMap) -> PageContext {
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    PageContext::new(Locale::negotiate(None, accept))
}

/// An error page with `status` (nothing of the cause is shown to the payer).
fn error_page(ctx: &PageContext, status: u16) -> Response {
    let l = ctx.locale;
    let mut p = pp::message(
        ctx,
        MessageKind::Error,
        Msg::ErrorTitle.text(l),
        Msg::ErrorBody.text(l),
        None,
    );
    p.status = status;
    respond(p)
}

/// The intent `id` (row and document), when it is one.
async fn load(st: &SharedState, id: &str) -> Option<(ObjectRow, PaymentIntent)> {
    let row = st.store.find_object(id).await.ok()??;
    if row.kind != "payment_intent" {
        return None;
    }
    let pi = from_value(row.data.clone()).ok()?;
    Some((row, pi))
}

fn form_field(q: Option<&str>, body: &[u8], name: &str) -> Option<String> {
    let src = q.map(str::as_bytes).unwrap_or(body);
    url::form_urlencoded::parse(src)
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// `GET /pay/3ds/{id}/start?client_secret=…`: the hand-off to the ACS.
async fn start(
    State(st): State<SharedState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    let ctx = page_context(&headers);
    let secret = form_field(raw.as_deref(), b"", "client_secret").unwrap_or_default();
    let Some((_, pi)) = load(&st, &id).await else {
        return respond(pp::not_found(&ctx));
    };
    if !pp::secrets_match(&secret, &pi.client_secret) {
        return respond(pp::not_found(&ctx));
    }
    let attempt = match (&pi.three_ds, pi.status) {
        (Some(a), Status::RequiresAction) => a,
        _ => {
            let status = st.pages.url(&format!(
                "/pay/payment_intents/{}?client_secret={}",
                pi.id, pi.client_secret
            ));
            return match WebUrl::parse("status", &status) {
                Ok(u) => respond(pp::redirect(&ctx, &u)),
                Err(_) => error_page(&ctx, 500),
            };
        }
    };
    let Ok(acs) = WebUrl::parse("acs_url", &attempt.pending.acs_url) else {
        return error_page(&ctx, 502);
    };
    let expires = st.now() + st.cfg.requires_action_ttl_s;
    let token = st.pages.csrf.issue(Purpose::ThreeDsReturn, &pi.id, expires);
    let session = URL_SAFE_NO_PAD.encode(token);
    let l = ctx.locale;
    let page = pp::auto_post(
        &ctx,
        &acs,
        &[("creq", &attempt.creq), ("threeDSSessionData", &session)],
        Msg::RedirectingTitle.text(l),
        Msg::ContinueExplanation.text(l),
    );
    respond(page)
}

/// `POST /pay/3ds/rreq`: the result of a challenge, from the DS.
async fn rreq(State(st): State<SharedState>, body: Bytes) -> Response {
    let Some(server) = st.three_ds.clone() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match answer_rreq(&st, &server, &body).await {
        Ok(reply) => ([(header::CONTENT_TYPE, "application/json")], reply).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "RReq not stored");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

/// Answers an RReq; the result is stored in the intent before the RRes goes out.
async fn answer_rreq(
    st: &SharedState,
    server: &ThreeDsServer,
    body: &[u8],
) -> Result<Vec<u8>, String> {
    let rreq = match server.read_rreq(body) {
        Ok(r) => r,
        Err(reply) => return Ok(reply.reply),
    };
    let tx = super::transaction_object_id(rreq.three_ds_server_trans_id);
    let pi_id = match st.store.find_object(&tx).await.map_err(|e| e.to_string())? {
        Some(row) if row.kind == super::TRANSACTION_KIND => row.data["payment_intent"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        _ => String::new(),
    };
    // The intent may change meanwhile (a metadata update): read it again and retry.
    for _ in 0..RREQ_STORE_TRIES {
        let loaded = load(st, &pi_id).await;
        let pending = loaded
            .as_ref()
            .and_then(|(_, pi)| pi.three_ds.as_ref())
            .map(|a| &a.pending);
        let handled = server.answer_rreq(&rreq, pending);
        let (RreqResult::Accepted { pending, .. }, Some((row, mut pi))) = (handled.result, loaded)
        else {
            return Ok(handled.reply);
        };
        if let Some(a) = pi.three_ds.as_mut() {
            a.pending = *pending;
        }
        // Keeps the tag and due time: the intent still waits for the payer.
        let unit = WriteUnit {
            ops: vec![Op::UpdateObject {
                id: pi.id.clone(),
                expected_version: row.version,
                data: to_value(&pi),
                tag: row.tag.clone(),
                due: row.due,
            }],
        };
        match st.store.commit(unit).await {
            Ok(_) => return Ok(handled.reply),
            Err(paygate_store::CommitError::Conflict { .. }) => continue,
            Err(e) => return Err(e.to_string()),
        }
    }
    Err("the intent kept changing while the RReq was stored".into())
}

/// How often an RReq's result is stored again after losing to a concurrent update.
const RREQ_STORE_TRIES: usize = 3;

/// `POST /pay/3ds/{id}/complete`: the payer's browser back from the ACS with `cres`.
async fn complete(
    State(st): State<SharedState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let ctx = page_context(&headers);
    let (Some(server), Some((row, pi))) = (st.three_ds.clone(), load(&st, &id).await) else {
        return respond(pp::not_found(&ctx));
    };
    let session = form_field(None, &body, "threeDSSessionData")
        .and_then(|s| URL_SAFE_NO_PAD.decode(s).ok())
        .and_then(|b| String::from_utf8(b).ok())
        .unwrap_or_default();
    if st
        .pages
        .csrf
        .verify(&session, Purpose::ThreeDsReturn, &pi.id, st.now())
        .is_err()
    {
        return error_page(&ctx, 400);
    }
    let cres = form_field(None, &body, "cres").unwrap_or_default();
    let accepted = match (server.read_cres(&cres), &pi.three_ds) {
        (Ok(c), Some(a)) => c.accept(&a.pending),
        (Err(e), _) => Err(e),
        (Ok(_), None) => return error_page(&ctx, 400),
    };
    let accepted = match accepted {
        Ok(a) => a,
        Err(e) => {
            tracing::warn!(payment_intent = %pi.id, error = %e, "CRes refused");
            return error_page(&ctx, 400);
        }
    };
    let (return_url, secret) = (pi.return_url.clone(), pi.client_secret.clone());
    let status = match super::resume::resume(&st, &row, pi, accepted).await {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(payment_intent = %id, error = %e.message, "3-D Secure resume failed");
            return error_page(&ctx, if e.status.is_server_error() { 500 } else { 400 });
        }
    };
    let back = return_url.and_then(|u| pp::return_url(&u, &id, &secret, status).ok());
    match back {
        Some(u) => respond(pp::redirect(&ctx, &u)),
        None => error_page(&ctx, 500),
    }
}
