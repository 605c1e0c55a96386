//! The browser side of the challenge: `POST /acs/challenge` (the CReq, form field `creq`,
//! optional `threeDSSessionData`) shows the password page; `POST /acs/challenge/submit` checks
//! the password (or the cancel button). When the challenge ends, the RReq is sent first
//! ([`super::finish`]), then the browser gets the page that posts the CRes to the
//! notificationURL.
//!
//! A CReq the ACS cannot attribute to a transaction (bad base64url or JSON, unknown
//! acsTransID) gets a 400 error page; a CReq for a known transaction that breaks a rule ends
//! the transaction and posts an Erro as `cres` instead.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, header};
use axum::response::Response;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

use super::finish::{Outcome, finish};
use super::{LOCKOUT_MS, MAX_WRONG_PASSWORDS, password_matches};
use crate::Sim;
use crate::erro::{Component, Erro, ErrorCode};
use crate::messages::{CRes, ChallengeCancel, TransStatus, VERSION};
use crate::pages::{self, ChallengePage, CresPage, Headline, Locale, Notice};
use crate::store::{Ending, State as TxState, Tx};

/// Longest `threeDSSessionData` echoed back, in characters.
const MAX_SESSION_DATA: usize = 1024;

type Form = HashMap<String, String>;

fn form(body: &[u8]) -> Form {
    url::form_urlencoded::parse(body).into_owned().collect()
}

fn locale(query: Option<&str>, headers: &HeaderMap) -> Locale {
    let asked = query.and_then(|q| {
        url::form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "locale")
            .map(|(_, v)| v.into_owned())
    });
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    Locale::negotiate(asked.as_deref(), accept)
}

/// `POST /acs/challenge`: the CReq.
pub(crate) async fn creq(
    State(sim): State<Arc<Sim>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let l = locale(query.as_deref(), &headers);
    let form = form(&body);
    let session = form.get("threeDSSessionData").map(String::as_str);
    let creq = form.get("creq").and_then(|c| decode_creq(c));
    let acs_id = creq
        .as_ref()
        .and_then(|c| c.get("acsTransID"))
        .and_then(Value::as_str);
    let tx = match acs_id.map(|id| sim.store.get(id)) {
        Some(Ok(Some(tx))) => tx,
        Some(Err(e)) => return db_failure(&sim, l, &e),
        _ => return pages::error(l, &pages::origin(&sim.public_url)),
    };
    if session.is_some_and(|s| !session_data_ok(s)) {
        return refuse(
            &sim,
            &tx,
            ErrorCode::FormatInvalid,
            "threeDSSessionData",
            None,
            l,
        )
        .await;
    }
    let creq = creq.unwrap_or(Value::Null);
    if let Err((code, field)) = check_creq(&creq, &tx) {
        return refuse(&sim, &tx, code, field, session, l).await;
    }
    let now = sim.now_ms();
    let late = tx.state == TxState::AwaitingCreq && tx.creq_deadline_ms.is_some_and(|d| now > d);
    let timed_out =
        tx.state == TxState::Ended && matches!(tx.challenge_cancel.as_deref(), Some("04" | "05"));
    if late || timed_out {
        // The RReq (challengeCancel 05) goes out first if the sweep has not sent it yet.
        let out = Outcome::TimedOut(ChallengeCancel::CreqNotReceived);
        if let Err(e) = finish(&sim, &tx.acs_trans_id, out).await {
            return db_failure(&sim, l, &e);
        }
        return refuse(&sim, &tx, ErrorCode::TimedOut, "acsTransID", session, l).await;
    }
    if tx.state == TxState::AwaitingCreq {
        let deadline = now.saturating_add(sim.challenge_timeout_ms);
        if let Err(e) = sim
            .store
            .start_challenge(&tx.acs_trans_id, deadline, session)
        {
            return db_failure(&sim, l, &e);
        }
    }
    // Reloaded: the sweep or another request may have moved it on meanwhile.
    show_current(&sim, &tx.acs_trans_id, l, None).await
}

/// `POST /acs/challenge/submit`: the password, or the cancel button.
pub(crate) async fn submit(
    State(sim): State<Arc<Sim>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let l = locale(query.as_deref(), &headers);
    let form = form(&body);
    let tx = match form.get("acsTransID").map(|id| sim.store.get(id)) {
        Some(Ok(Some(tx))) if tx.state != TxState::AwaitingCreq => tx,
        Some(Err(e)) => return db_failure(&sim, l, &e),
        _ => return pages::error(l, &pages::origin(&sim.public_url)),
    };
    if tx.state == TxState::Ended {
        return show_current(&sim, &tx.acs_trans_id, l, None).await;
    }
    let id = tx.acs_trans_id.as_str();
    if tx.challenge_deadline_ms.is_some_and(|d| sim.now_ms() > d) {
        let out = Outcome::TimedOut(ChallengeCancel::TimedOut);
        return end_and_show(&sim, id, out, l).await;
    }
    if form.get("action").map(String::as_str) == Some("cancel") {
        return end_and_show(&sim, id, Outcome::Cancelled, l).await;
    }
    let Some(password) = form.get("password").filter(|p| !p.is_empty()) else {
        return show_current(&sim, id, l, Some(Notice::PasswordRequired)).await;
    };
    match check_password(&sim, &tx, password) {
        Ok(Check::Right) => end_and_show(&sim, id, Outcome::Authenticated, l).await,
        Ok(Check::Locked) => end_and_show(&sim, id, Outcome::Locked, l).await,
        Ok(Check::Wrong { attempts_left }) => {
            show_current(&sim, id, l, Some(Notice::WrongPassword { attempts_left })).await
        }
        Err(e) => db_failure(&sim, l, &e),
    }
}

enum Check {
    Right,
    Wrong { attempts_left: u32 },
    Locked,
}

/// Counts the entry and checks the password against the card's lockout.
fn check_password(sim: &Sim, tx: &Tx, password: &str) -> rusqlite::Result<Check> {
    let now = sim.now_ms();
    let fp = &tx.card_fingerprint;
    if sim.store.lockout(fp, now)?.0 {
        return Ok(Check::Locked);
    }
    sim.store.count_interaction(&tx.acs_trans_id)?;
    if password_matches(password) {
        sim.store.clear_lockout(fp)?;
        return Ok(Check::Right);
    }
    let failures = sim
        .store
        .wrong_password(fp, now, MAX_WRONG_PASSWORDS, LOCKOUT_MS)?;
    if failures >= MAX_WRONG_PASSWORDS {
        return Ok(Check::Locked);
    }
    Ok(Check::Wrong {
        attempts_left: MAX_WRONG_PASSWORDS - failures,
    })
}

/// base64url (no padding) of a JSON object.
fn decode_creq(b64: &str) -> Option<Value> {
    let bytes = URL_SAFE_NO_PAD.decode(b64).ok()?;
    serde_json::from_slice::<Value>(&bytes)
        .ok()
        .filter(Value::is_object)
}

fn session_data_ok(s: &str) -> bool {
    s.len() <= MAX_SESSION_DATA
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'='))
}

/// The CReq's rules for a known transaction: the Erro code and the field that broke one.
fn check_creq(creq: &Value, tx: &Tx) -> Result<(), (ErrorCode, &'static str)> {
    let field = |name| creq.get(name).and_then(Value::as_str);
    if field("messageType") != Some("CReq") {
        return Err((ErrorCode::MessageInvalid, "messageType"));
    }
    match field("messageVersion") {
        None => return Err((ErrorCode::RequiredMissing, "messageVersion")),
        Some(v) if v != tx.message_version => {
            return Err((ErrorCode::VersionNotSupported, "messageVersion"));
        }
        Some(_) => {}
    }
    match field("threeDSServerTransID") {
        None => return Err((ErrorCode::RequiredMissing, "threeDSServerTransID")),
        Some(id) if id != tx.three_ds_server_trans_id => {
            return Err((ErrorCode::TransIdUnknown, "threeDSServerTransID"));
        }
        Some(_) => {}
    }
    match field("challengeWindowSize") {
        None => Err((ErrorCode::RequiredMissing, "challengeWindowSize")),
        Some("01" | "02" | "03" | "04" | "05") => Ok(()),
        Some(_) => Err((ErrorCode::FormatInvalid, "challengeWindowSize")),
    }
}

/// Ends the transaction without an RReq (the 3DS Server learns of it from the `cres` Erro)
/// and posts the Erro to the notificationURL.
async fn refuse(
    sim: &Sim,
    tx: &Tx,
    code: ErrorCode,
    field: &'static str,
    session: Option<&str>,
    l: Locale,
) -> Response {
    let erro = Erro::new(Component::Acs, code, field, "CReq").with_ids(
        Some(&tx.three_ds_server_trans_id),
        Some(&tx.ds_trans_id),
        Some(&tx.acs_trans_id),
    );
    tracing::warn!(acs_trans_id = %tx.acs_trans_id, field, "CReq refused");
    sim.pending_cavv
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .remove(&tx.acs_trans_id);
    let ending = Ending {
        trans_status: TransStatus::N.as_str(),
        reason: Some(crate::messages::reason::AUTHENTICATION_FAILED),
        eci: None,
        challenge_cancel: None,
        rreq_delivery: Some(format!("none (CReq refused: Erro {})", erro.error_code)),
    };
    if let Err(e) = sim.store.end(&tx.acs_trans_id, &ending, sim.now_ms()) {
        return db_failure(sim, l, &e);
    }
    let json = serde_json::to_vec(&erro).unwrap_or_default();
    let cres = URL_SAFE_NO_PAD.encode(json);
    pages::cres(&CresPage {
        locale: l,
        headline: Headline::Error,
        notification_url: &tx.notification_url,
        acs_url: &pages::origin(&sim.public_url),
        cres: &cres,
        session_data: session,
    })
}

async fn end_and_show(sim: &Sim, acs_trans_id: &str, outcome: Outcome, l: Locale) -> Response {
    if let Err(e) = finish(sim, acs_trans_id, outcome).await {
        return db_failure(sim, l, &e);
    }
    show_current(sim, acs_trans_id, l, None).await
}

/// The page for where the transaction is now: the challenge page while it runs, the CRes page
/// once it has ended.
async fn show_current(
    sim: &Sim,
    acs_trans_id: &str,
    l: Locale,
    notice: Option<Notice>,
) -> Response {
    let tx = match sim.store.get(acs_trans_id) {
        Ok(Some(tx)) => tx,
        Ok(None) => return pages::error(l, &pages::origin(&sim.public_url)),
        Err(e) => return db_failure(sim, l, &e),
    };
    let acs_origin = pages::origin(&sim.public_url);
    if tx.state != TxState::Ended {
        // A card locked by another transaction meanwhile fails without asking again.
        match sim.store.lockout(&tx.card_fingerprint, sim.now_ms()) {
            Ok((true, _)) => {
                return Box::pin(end_and_show(sim, acs_trans_id, Outcome::Locked, l)).await;
            }
            Ok(_) => {}
            Err(e) => return db_failure(sim, l, &e),
        }
        let submit_url = format!("{}/acs/challenge/submit?locale={}", sim.public_url, l.tag());
        return pages::challenge(
            &ChallengePage {
                locale: l,
                merchant_name: &tx.merchant_name,
                amount_minor: tx.amount_minor,
                exponent: tx.exponent,
                currency: &tx.currency,
                last4: &tx.last4,
                acs_trans_id: &tx.acs_trans_id,
                submit_url: &submit_url,
                notification_url: &tx.notification_url,
                notice,
            },
            &acs_origin,
        );
    }
    cres_page(sim, &tx, l)
}

/// The page that posts the CRes of an ended transaction to its notificationURL.
fn cres_page(sim: &Sim, tx: &Tx, l: Locale) -> Response {
    let acs_origin = pages::origin(&sim.public_url);
    let status = tx
        .trans_status
        .as_deref()
        .and_then(TransStatus::parse)
        .unwrap_or(TransStatus::N);
    let headline = match (status, tx.challenge_cancel.as_deref()) {
        (TransStatus::Y, _) => Headline::Authenticated,
        (_, Some("01")) => Headline::Cancelled,
        (_, Some(_)) => Headline::TimedOut,
        _ if sim
            .store
            .lockout(&tx.card_fingerprint, sim.now_ms())
            .is_ok_and(|(l, _)| l) =>
        {
            Headline::Locked
        }
        _ => Headline::Failed,
    };
    let cres = CRes {
        three_ds_server_trans_id: tx.three_ds_server_trans_id.clone(),
        acs_trans_id: tx.acs_trans_id.clone(),
        message_type: "CRes",
        message_version: VERSION.to_owned(),
        trans_status: status,
        challenge_completion_ind: "Y",
    };
    let cres = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&cres).unwrap_or_default());
    pages::cres(&CresPage {
        locale: l,
        headline,
        notification_url: &tx.notification_url,
        acs_url: &acs_origin,
        cres: &cres,
        session_data: tx.session_data.as_deref(),
    })
}

fn db_failure(sim: &Sim, l: Locale, e: &rusqlite::Error) -> Response {
    tracing::error!(error = %e, "ACS database failure");
    let mut resp = pages::error(l, &pages::origin(&sim.public_url));
    *resp.status_mut() = axum::http::StatusCode::SERVICE_UNAVAILABLE;
    resp
}
