//! The issuers' Access Control Server: decides each AReq by test card ([`authenticate`]),
//! runs the 안심클릭 password challenge in the browser ([`challenge`]), ends challenges and
//! sends their RReq through the DS ([`finish`]), and ends the ones that ran out of time
//! ([`sweep`]).

pub(crate) mod challenge;
mod finish;
pub(crate) mod sweep;

use subtle::ConstantTimeEq;

use crate::Sim;
use crate::areq::{AReq, ChallengeInd};
use crate::cards::{self, Decision, EnrolledCard};
use crate::messages::{self, ARes, TransStatus, VERSION, reason};
use crate::store::{Flow, State, Tx};

/// The static password of every enrolled test card.
const PASSWORD: &str = "1234";
/// Wrong passwords in a row that lock the card.
pub(crate) const MAX_WRONG_PASSWORDS: u32 = 5;
/// How long a locked card stays locked, in milliseconds (30 minutes).
pub(crate) const LOCKOUT_MS: i64 = 30 * 60 * 1000;

/// What a successful challenge will carry; kept in memory only (see [`Sim::pending_cavv`]).
#[derive(Clone)]
pub(crate) struct PendingAuth {
    pub eci: &'static str,
    pub cavv: String,
}

/// Whether `given` is the card's password, compared in constant time (over SHA-256 digests,
/// so the length of the guess leaks nothing either).
pub(crate) fn password_matches(given: &str) -> bool {
    use sha2::{Digest, Sha256};
    let a = Sha256::digest(given.as_bytes());
    let b = Sha256::digest(PASSWORD.as_bytes());
    a.as_slice().ct_eq(b.as_slice()).into()
}

/// Decides an AReq for an enrolled card, records the transaction and returns the ARes.
pub(crate) fn authenticate(
    sim: &Sim,
    areq: &AReq,
    ds_trans_id: &str,
    card: &EnrolledCard,
) -> rusqlite::Result<ARes> {
    let pan = areq.acct_number.expose();
    let fingerprint = sim.keys.fingerprint(pan);
    let now = sim.now_ms();
    let acs_trans_id = uuid::Uuid::new_v4().to_string();
    let decision = card.decide(areq.challenge_ind);
    let locked = decision == Decision::Challenge && sim.store.lockout(&fingerprint, now)?.0;
    let mut tx = new_tx(areq, ds_trans_id, &acs_trans_id, fingerprint, now);
    let mut ares = ares_base(areq, ds_trans_id, &acs_trans_id);
    if locked {
        // A locked card fails at once: no challenge page asks for its password.
        tx.flow = Flow::Challenge;
        ares.trans_status = TransStatus::N;
        ares.trans_status_reason = Some(reason::AUTHENTICATION_FAILED);
    } else {
        match decision {
            Decision::Frictionless => {
                let eci = cards::eci_authenticated(pan);
                let cavv = sim.keys.cavv(
                    pan,
                    areq.purchase_amount,
                    &areq.purchase_currency,
                    ds_trans_id,
                    eci,
                );
                ares.trans_status = TransStatus::Y;
                ares.eci = Some(eci);
                ares.authentication_value = Some(cavv);
            }
            Decision::Unavailable => {
                ares.trans_status = TransStatus::U;
                ares.trans_status_reason = Some(reason::ACS_UNAVAILABLE);
            }
            Decision::Challenge => {
                start_challenge(sim, areq, card, &mut tx, &mut ares, now);
            }
        }
    }
    if tx.state == State::Ended {
        tx.trans_status = Some(ares.trans_status.as_str().to_owned());
        tx.trans_status_reason = ares.trans_status_reason.map(str::to_owned);
        tx.eci = ares.eci.map(str::to_owned);
        tx.ended_at_ms = Some(now);
        tx.rreq_delivery = Some("none (answered in the ARes)".to_owned());
    }
    sim.store.insert(&tx)?;
    Ok(ares)
}

/// Turns the transaction and ARes into a challenge (C) and keeps the success CAVV in memory.
fn start_challenge(
    sim: &Sim,
    areq: &AReq,
    card: &EnrolledCard,
    tx: &mut Tx,
    ares: &mut ARes,
    now: i64,
) {
    let pan = areq.acct_number.expose();
    let eci = cards::eci_authenticated(pan);
    let cavv = sim.keys.cavv(
        pan,
        areq.purchase_amount,
        &areq.purchase_currency,
        &tx.ds_trans_id,
        eci,
    );
    sim.pending_cavv
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(tx.acs_trans_id.clone(), PendingAuth { eci, cavv });
    tx.flow = Flow::Challenge;
    tx.state = State::AwaitingCreq;
    tx.creq_deadline_ms = Some(now.saturating_add(sim.creq_timeout_ms));
    let issuer_mandates = card.acs_info_ind.contains(&"80");
    ares.trans_status = TransStatus::C;
    ares.acs_challenge_mandated = Some(
        if issuer_mandates || areq.challenge_ind == ChallengeInd::Mandated {
            "Y"
        } else {
            "N"
        },
    );
    ares.acs_url = Some(format!("{}/acs/challenge", sim.public_url));
    ares.authentication_type = Some(messages::AUTHENTICATION_TYPE_STATIC);
}

fn new_tx(areq: &AReq, ds_trans_id: &str, acs_trans_id: &str, fingerprint: String, now: i64) -> Tx {
    Tx {
        acs_trans_id: acs_trans_id.to_owned(),
        three_ds_server_trans_id: areq.three_ds_server_trans_id.clone(),
        ds_trans_id: ds_trans_id.to_owned(),
        card_fingerprint: fingerprint,
        last4: areq.acct_number.last4().to_owned(),
        amount_minor: areq.purchase_amount,
        currency: areq.purchase_currency.clone(),
        exponent: areq.purchase_exponent,
        merchant_name: areq.merchant_name.clone(),
        message_version: VERSION.to_owned(),
        three_ds_server_url: areq.three_ds_server_url.clone(),
        notification_url: areq.notification_url.clone(),
        flow: Flow::Frictionless,
        state: State::Ended,
        trans_status: None,
        trans_status_reason: None,
        eci: None,
        interactions: 0,
        challenge_cancel: None,
        session_data: None,
        created_at_ms: now,
        creq_deadline_ms: None,
        challenge_deadline_ms: None,
        ended_at_ms: None,
        rreq_delivery: None,
        message_category: areq.message_category.clone(),
    }
}

fn ares_base(areq: &AReq, ds_trans_id: &str, acs_trans_id: &str) -> ARes {
    ARes {
        message_type: "ARes",
        message_version: VERSION,
        three_ds_server_trans_id: areq.three_ds_server_trans_id.clone(),
        ds_trans_id: ds_trans_id.to_owned(),
        acs_trans_id: acs_trans_id.to_owned(),
        acs_reference_number: messages::ACS_REFERENCE_NUMBER,
        acs_operator_id: messages::ACS_OPERATOR_ID,
        ds_reference_number: messages::DS_REFERENCE_NUMBER,
        trans_status: TransStatus::U,
        trans_status_reason: None,
        eci: None,
        authentication_value: None,
        acs_challenge_mandated: None,
        acs_url: None,
        authentication_type: None,
    }
}
