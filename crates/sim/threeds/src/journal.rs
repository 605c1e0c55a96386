//! The journal as operators and tests read it (`paygate sim 3ds journal --data-dir DIR
//! --json`): one entry per transaction the ACS decided, in arrival order, with its current
//! state. Cards appear as a fingerprint (HMAC of the PAN) and the last four digits only.

use std::path::Path;

use paygate_sim_kit::{SimError, data_dir};
use serde::{Deserialize, Serialize};

use crate::store::{JOURNAL_FILE, State, Store};

/// One transaction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalEntry {
    /// The 3DS Server's transaction id.
    pub three_ds_server_trans_id: String,
    /// The DS's transaction id (bound into the CAVV).
    pub ds_trans_id: String,
    /// The ACS's transaction id.
    pub acs_trans_id: String,
    /// HMAC-SHA256 of the PAN under a key derived from the CAVV key (32 hex digits).
    pub card_fingerprint: String,
    /// Last four digits of the PAN.
    pub last4: String,
    /// purchaseAmount, minor units.
    pub amount: u64,
    /// purchaseCurrency, ISO 4217 numeric.
    pub currency: String,
    /// purchaseExponent.
    pub exponent: u8,
    /// merchantName.
    pub merchant_name: String,
    /// "frictionless" or "challenge".
    pub flow: String,
    /// "awaiting_creq", "challenging" or "ended".
    pub state: String,
    /// Final transStatus (Y, N, U), once ended.
    pub trans_status: Option<String>,
    /// transStatusReason, when N or U.
    pub trans_status_reason: Option<String>,
    /// ECI, when Y.
    pub eci: Option<String>,
    /// Passwords entered.
    pub interactions: u32,
    /// challengeCancel, when the challenge was cancelled or timed out.
    pub challenge_cancel: Option<String>,
    /// When the AReq was decided, ms since the Unix epoch.
    pub created_at_ms: i64,
    /// When the transaction ended, ms since the Unix epoch.
    pub ended_at_ms: Option<i64>,
    /// What became of the RReq: `rres`, `erro NNN`, `http NNN`, `failed: …`, or `none (…)`
    /// for a transaction answered in the ARes.
    pub rreq_delivery: Option<String>,
    /// `messageCategory`: "01" payment, "02" non-payment (a card added, amount 0).
    #[serde(default = "payment_category")]
    pub message_category: String,
}

fn payment_category() -> String {
    "01".to_owned()
}

/// Reads every entry of the journal in `data_dir`.
pub fn read(data_dir: &Path) -> Result<Vec<JournalEntry>, SimError> {
    let conn = data_dir::open_reader(data_dir, JOURNAL_FILE)?;
    let rows = Store::all(&conn)?;
    Ok(rows
        .into_iter()
        .map(|t| JournalEntry {
            three_ds_server_trans_id: t.three_ds_server_trans_id,
            ds_trans_id: t.ds_trans_id,
            acs_trans_id: t.acs_trans_id,
            card_fingerprint: t.card_fingerprint,
            last4: t.last4,
            amount: t.amount_minor,
            currency: t.currency,
            exponent: t.exponent,
            merchant_name: t.merchant_name,
            flow: t.flow.as_str().to_owned(),
            state: match t.state {
                State::AwaitingCreq => "awaiting_creq",
                State::Challenging => "challenging",
                State::Ended => "ended",
            }
            .to_owned(),
            trans_status: t.trans_status,
            trans_status_reason: t.trans_status_reason,
            eci: t.eci,
            interactions: t.interactions,
            challenge_cancel: t.challenge_cancel,
            created_at_ms: t.created_at_ms,
            ended_at_ms: t.ended_at_ms,
            rreq_delivery: t.rreq_delivery,
            message_category: t.message_category,
        })
        .collect())
}
