//! How a challenge ends: the outcome is written (once — whoever ends it first wins), then the
//! RReq goes to the DS, which relays it to the 3DS Server; what became of it is journaled.
//! Only then does the browser get its CRes page (the caller renders it).

use crate::messages::{ChallengeCancel, RReq, TransStatus, reason};
use crate::store::Ending;
use crate::{Sim, ds};

/// Why a challenge ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// The right password: Y with the ECI and CAVV computed at the AReq.
    Authenticated,
    /// The card is locked (fifth wrong password in a row, or already locked): N.
    Locked,
    /// The cardholder cancelled: N, challengeCancel 01.
    Cancelled,
    /// Out of time: N, challengeCancel 04 or 05.
    TimedOut(ChallengeCancel),
}

/// Ends the challenge `acs_trans_id` with `outcome` and sends its RReq; nothing happens if it
/// had already ended.
pub(crate) async fn finish(
    sim: &Sim,
    acs_trans_id: &str,
    outcome: Outcome,
) -> rusqlite::Result<()> {
    let pending = sim
        .pending_cavv
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .remove(acs_trans_id);
    let (status, why, cancel) = match outcome {
        Outcome::Authenticated if pending.is_some() => (TransStatus::Y, None, None),
        // The CAVV lived in memory only: after a restart a challenge cannot succeed.
        Outcome::Authenticated | Outcome::Locked => {
            (TransStatus::N, Some(reason::AUTHENTICATION_FAILED), None)
        }
        Outcome::Cancelled => (
            TransStatus::N,
            Some(reason::AUTHENTICATION_FAILED),
            Some(ChallengeCancel::Cancelled),
        ),
        Outcome::TimedOut(c) => (TransStatus::N, Some(reason::TIMED_OUT), Some(c)),
    };
    let (eci, cavv) = match (status, pending) {
        (TransStatus::Y, Some(p)) => (Some(p.eci.to_owned()), Some(p.cavv)),
        _ => (None, None),
    };
    let ending = Ending {
        trans_status: status.as_str(),
        reason: why,
        eci: eci.clone(),
        challenge_cancel: cancel.map(ChallengeCancel::code),
        rreq_delivery: Some("sending".to_owned()),
    };
    if !sim.store.end(acs_trans_id, &ending, sim.now_ms())? {
        return Ok(());
    }
    let Some(tx) = sim.store.get(acs_trans_id)? else {
        return Ok(());
    };
    let rreq = RReq {
        message_type: "RReq",
        message_version: tx.message_version.clone(),
        three_ds_server_trans_id: tx.three_ds_server_trans_id.clone(),
        ds_trans_id: tx.ds_trans_id.clone(),
        acs_trans_id: tx.acs_trans_id.clone(),
        message_category: tx.message_category.clone(),
        trans_status: status,
        trans_status_reason: why.map(str::to_owned),
        eci,
        authentication_value: cavv,
        authentication_type: crate::messages::AUTHENTICATION_TYPE_STATIC,
        interaction_counter: format!("{:02}", tx.interactions.min(99)),
        challenge_cancel: cancel.map(ChallengeCancel::code),
    };
    let delivery = ds::relay_rreq(sim, &tx.three_ds_server_url, &rreq).await;
    tracing::info!(
        acs_trans_id,
        trans_status = status.as_str(),
        delivery = %delivery,
        "challenge ended"
    );
    sim.store.set_delivery(acs_trans_id, &delivery)
}
