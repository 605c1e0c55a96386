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
//!
//! The same routes serve a SetupIntent's challenge (`/pay/3ds/{seti}/…`): its CRes resumes
//! [`crate::setup_intents::three_ds::resume`] and the shop gets `setup_intent` and
//! `setup_intent_client_secret`; and a card registration in a 간편결제 wallet
//! (`/pay/3ds/eps_{pi}/…`, the wallet flow's session): its CRes resumes
//! [`crate::easy_pay_pages::three_ds::resume`] and the payer returns to the wallet page.

use crate::models::{PaymentIntent, ThreeDsAttempt, from_value};
use crate::pages::respond;
use crate::setup_intents::SetupIntent;
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

/// What a challenge serves.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Owner {
    PaymentIntent,
    SetupIntent,
    /// A card registration in a 간편결제 wallet (the flow's session object).
    WalletRegistration,
}

/// A PaymentIntent, a SetupIntent or a wallet registration with 3-D Secure: what the pages
/// read of it.
struct Authenticating {
    row: ObjectRow,
    owner: Owner,
    client_secret: String,
    attempt: Option<ThreeDsAttempt>,
    /// Waiting for the payer (an intent in `requires_action`, a registration pending).
    waiting: bool,
}

impl Authenticating {
    /// Where the payer goes once done here: the shop's return URL with Stripe's parameters
    /// of the object's kind, or the wallet page.
    fn back(&self, st: &SharedState, status: pp::RedirectStatus) -> Option<WebUrl> {
        let id = &self.row.id;
        let secret = &self.client_secret;
        if self.owner == Owner::WalletRegistration {
            let pi = self.row.data["payment_intent"].as_str()?;
            return crate::easy_pay_pages::three_ds::wallet_page_url(st, pi);
        }
        let url = self.row.data["_return_url"].as_str()?;
        let back = if self.owner == Owner::SetupIntent {
            pp::setup_return_url(url, id, secret, status)
        } else {
            pp::return_url(url, id, secret, status)
        };
        back.ok()
    }
}

/// The object `id`, when it is one a challenge serves.
async fn load(st: &SharedState, id: &str) -> Option<Authenticating> {
    let row = st.store.find_object(id).await.ok()??;
    let owner = match row.kind.as_str() {
        "payment_intent" => Owner::PaymentIntent,
        "setup_intent" => Owner::SetupIntent,
        crate::easy_pay_pages::SESSION_KIND => Owner::WalletRegistration,
        _ => return None,
    };
    let d = &row.data;
    let waiting = match owner {
        Owner::WalletRegistration => !d["registration"].is_null(),
        _ => d["status"] == "requires_action",
    };
    Some(Authenticating {
        owner,
        // A wallet flow has a secret only once a challenge started (none: nothing matches).
        client_secret: d["client_secret"].as_str().unwrap_or_default().to_string(),
        attempt: serde_json::from_value(d["_three_ds"].clone()).ok(),
        waiting,
        row,
    })
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
    let Some(a) = load(&st, &id).await else {
        return respond(pp::not_found(&ctx));
    };
    if !pp::secrets_match(&secret, &a.client_secret) {
        return respond(pp::not_found(&ctx));
    }
    let attempt = match (&a.attempt, a.waiting) {
        (Some(attempt), true) => attempt,
        _ => return finished(&st, &ctx, &a),
    };
    let Ok(acs) = WebUrl::parse("acs_url", &attempt.pending.acs_url) else {
        return error_page(&ctx, 502);
    };
    let expires = st.now() + st.cfg.requires_action_ttl_s;
    let token = st
        .pages
        .csrf
        .issue(Purpose::ThreeDsReturn, &a.row.id, expires);
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

/// The hand-off of an object no longer waiting: a PaymentIntent's status page, a SetupIntent's
/// return URL with its outcome, the wallet page.
fn finished(st: &SharedState, ctx: &PageContext, a: &Authenticating) -> Response {
    if a.owner != Owner::PaymentIntent {
        let status = if a.row.data["status"] == "succeeded" {
            pp::RedirectStatus::Succeeded
        } else {
            pp::RedirectStatus::Failed
        };
        return match a.back(st, status) {
            Some(u) => respond(pp::redirect(ctx, &u)),
            None => error_page(ctx, 400),
        };
    }
    let status = st.pages.url(&format!(
        "/pay/payment_intents/{}?client_secret={}",
        a.row.id, a.client_secret
    ));
    match WebUrl::parse("status", &status) {
        Ok(u) => respond(pp::redirect(ctx, &u)),
        Err(_) => error_page(ctx, 500),
    }
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
    let owner = match st.store.find_object(&tx).await.map_err(|e| e.to_string())? {
        Some(row) if row.kind == super::TRANSACTION_KIND => row.data["payment_intent"]
            .as_str()
            .or(row.data["setup_intent"].as_str())
            .or(row.data[crate::easy_pay_pages::three_ds::LOOKUP_FIELD].as_str())
            .unwrap_or_default()
            .to_string(),
        _ => String::new(),
    };
    // The intent may change meanwhile (a metadata update): read it again and retry.
    for _ in 0..RREQ_STORE_TRIES {
        let loaded = load(st, &owner).await;
        let pending = loaded
            .as_ref()
            .and_then(|a| a.attempt.as_ref())
            .map(|a| &a.pending);
        let handled = server.answer_rreq(&rreq, pending);
        let (RreqResult::Accepted { pending, .. }, Some(a)) = (handled.result, loaded) else {
            return Ok(handled.reply);
        };
        let row = a.row;
        let mut data = row.data.clone();
        data["_three_ds"]["pending"] = serde_json::to_value(*pending).map_err(|e| e.to_string())?;
        // Keeps the tag and due time: the intent still waits for the payer.
        let unit = WriteUnit {
            ops: vec![Op::UpdateObject {
                id: row.id.clone(),
                expected_version: row.version,
                data,
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
    let (Some(server), Some(a)) = (st.three_ds.clone(), load(&st, &id).await) else {
        return respond(pp::not_found(&ctx));
    };
    let session = form_field(None, &body, "threeDSSessionData")
        .and_then(|s| URL_SAFE_NO_PAD.decode(s).ok())
        .and_then(|b| String::from_utf8(b).ok())
        .unwrap_or_default();
    if st
        .pages
        .csrf
        .verify(&session, Purpose::ThreeDsReturn, &a.row.id, st.now())
        .is_err()
    {
        return error_page(&ctx, 400);
    }
    let cres = form_field(None, &body, "cres").unwrap_or_default();
    let accepted = match (server.read_cres(&cres), &a.attempt) {
        (Ok(c), Some(attempt)) => c.accept(&attempt.pending),
        (Err(e), _) => Err(e),
        (Ok(_), None) => return error_page(&ctx, 400),
    };
    let accepted = match accepted {
        Ok(accepted) => accepted,
        Err(e) => {
            tracing::warn!(intent = %a.row.id, error = %e, "CRes refused");
            return error_page(&ctx, 400);
        }
    };
    let resumed = match a.owner {
        Owner::SetupIntent => match SetupIntent::from_doc(a.row.data.clone()) {
            Ok(si) => crate::setup_intents::three_ds::resume(&st, &a.row, si, accepted).await,
            Err(e) => Err(e),
        },
        Owner::PaymentIntent => match from_value::<PaymentIntent>(a.row.data.clone()) {
            Ok(pi) => super::resume::resume(&st, &a.row, pi, accepted).await,
            Err(e) => Err(e),
        },
        // The wallet page tells the outcome: the status only matters to a shop.
        Owner::WalletRegistration => crate::easy_pay_pages::three_ds::resume(&st, &a.row, accepted)
            .await
            .map(|()| pp::RedirectStatus::Succeeded),
    };
    let status = match resumed {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(intent = %id, error = %e.message, "3-D Secure resume failed");
            return error_page(&ctx, if e.status.is_server_error() { 500 } else { 400 });
        }
    };
    match a.back(&st, status) {
        Some(u) => respond(pp::redirect(&ctx, &u)),
        None => error_page(&ctx, 500),
    }
}
