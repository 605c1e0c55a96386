//! Sending the follow-ups of an authorization (captures, refunds). The message is prepared
//! first, so its own reference (terminal id, STAN, transmission time) is in the recovery record
//! before it is sent; when the answer is lost the same message is re-sent as a repeat and the
//! counterparty replays its recorded answer, so a follow-up is never lost and never counted
//! twice — in the request or in recovery.

use crate::models::{Charge, from_value};
use crate::state::AppState;
use paygate_payments::{Connector, ConnectorRef, FollowUpAnswer, PreparedFollowUp};
use paygate_store::Scope;
use std::time::Duration;

/// Re-sends a follow-up whose answer was lost (`record` as its recovery record holds it) to
/// `connector`, waiting at most `wait`.
pub async fn resend(
    connector: &dyn Connector,
    record: &ConnectorRef,
    wait: Duration,
) -> FollowUpAnswer {
    match tokio::time::timeout(wait, connector.resend_follow_up(record)).await {
        Ok(answer) => answer,
        Err(_) => FollowUpAnswer::Unknown("no answer to the repeat in time".into()),
    }
}

/// Sends a prepared follow-up to `connector`; a lost answer is asked for again with a repeat.
pub async fn send(
    st: &AppState,
    connector: &dyn Connector,
    prepared: PreparedFollowUp,
    record: &ConnectorRef,
) -> FollowUpAnswer {
    match connector.send_follow_up(prepared).await {
        FollowUpAnswer::Unknown(_) => {
            let wait = Duration::from_millis(st.cfg.network_timeout_ms);
            resend(connector, record, wait).await
        }
        answer => answer,
    }
}

/// Phase 2 of a follow-up operation: sends the prepared message once to `connector`.
pub fn call<'a>(
    rc: &'a super::RequestContext,
    connector: &'a dyn Connector,
    prepared: &mut Option<PreparedFollowUp>,
    record: &'a ConnectorRef,
) -> paygate_payments::BoxFuture<'a, FollowUpAnswer> {
    let prepared = prepared.take();
    Box::pin(async move {
        match prepared {
            Some(p) => send(&rc.st, connector, p, record).await,
            None => FollowUpAnswer::Unknown("the message was already sent".into()),
        }
    })
}

/// Whether the counterparty approved a follow-up; an unknown answer is an error that leaves
/// the recovery record for recovery to finish (`what` names the operation).
pub fn approved(reply: FollowUpAnswer, what: &str) -> crate::error::ApiResult<bool> {
    match reply {
        FollowUpAnswer::Approved => Ok(true),
        FollowUpAnswer::Refused(_) => Ok(false),
        FollowUpAnswer::Unknown(why) => Err(crate::error::ApiError::internal(format!(
            "{what} outcome unknown: {why}"
        ))),
    }
}

/// What recovery learned of an interrupted follow-up.
pub struct Resent {
    /// The amount (minor units) the follow-up moves.
    pub amount: i64,
    pub approved: bool,
    pub charge_version: i64,
    pub charge: Charge,
}

/// Re-sends an interrupted follow-up to `connector` and loads its charge.
pub async fn resend_for(
    st: &AppState,
    connector: &dyn Connector,
    scope: &Scope,
    follow_up: &ConnectorRef,
    charge_id: &str,
) -> Result<Resent, String> {
    let amount = connector
        .follow_up_amount(follow_up)
        .map_err(|e| e.to_string())?;
    let approved = match resend(connector, follow_up, super::recovery::NETWORK_WAIT).await {
        FollowUpAnswer::Approved => true,
        FollowUpAnswer::Refused(_) => false,
        FollowUpAnswer::Unknown(why) => return Err(why),
    };
    let row = st
        .store
        .get_object(scope, charge_id)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("charge missing")?;
    let charge: Charge = from_value(row.data).map_err(super::recovery::detail)?;
    Ok(Resent {
        amount,
        approved,
        charge_version: row.version,
        charge,
    })
}
