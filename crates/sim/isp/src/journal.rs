//! The journal as operators and tests read it (`paygate sim isp journal --data-dir DIR
//! --json`): one entry per enroll, verify and revoke, in arrival order, with its result
//! (`issued`, `verified`, `revoked` or the refusal's code). Cards appear as their opaque
//! reference and last four digits only.

use std::path::Path;

use paygate_sim_kit::{SimError, data_dir};
use serde::{Deserialize, Serialize};

use crate::store::{JOURNAL_FILE, Store};

/// One journal line.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalEntry {
    /// Order of arrival (0 before it is written).
    pub seq: i64,
    /// When, ms since the Unix epoch.
    pub at_ms: i64,
    /// `enroll`, `verify` or `revoke`.
    pub kind: String,
    /// `issued`, `verified`, `revoked` or an `isp_…` code.
    pub result: String,
    /// Certificate serial (lowercase hex), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub serial: Option<String>,
    /// Opaque card reference (the certificate's CN), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub card_ref: Option<String>,
    /// Last four digits of the card, when it was decrypted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last4: Option<String>,
    /// `ispv_…` of a verification that passed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verification_id: Option<String>,
    /// The UUID bound into the authentication value, when verified.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<String>,
    /// Verify: the expected PaymentIntent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_intent: Option<String>,
    /// Verify: the expected merchant.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merchant: Option<String>,
    /// Verify: the expected amount, minor units.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<i64>,
    /// Verify: the expected currency.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// ECI of a verification that passed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eci: Option<String>,
}

/// Reads every entry of the journal in `data_dir`.
pub fn read(data_dir: &Path) -> Result<Vec<JournalEntry>, SimError> {
    let conn = data_dir::open_reader(data_dir, JOURNAL_FILE)?;
    Ok(Store::read_journal(&conn)?)
}
