//! Credential-on-file data an authorization carries in DE 48.46/47 (`docs/iso8583.md`).

use serde::{Deserialize, Serialize};

/// Which use of a stored card (credential-on-file) an authorization is, sent as DE 48.46; a
/// later use names the first one's RRN in DE 48.47.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StoredCredentialUsage {
    /// Customer-initiated, the card being stored now for later use (DE 48.46 = "I").
    Initial,
    /// Merchant-initiated, one of a series at agreed intervals (DE 48.46 = "R").
    Recurring,
    /// Merchant-initiated, at no fixed schedule (DE 48.46 = "U").
    Unscheduled,
}

impl StoredCredentialUsage {
    /// The value of DE 48.46.
    pub fn de48_value(self) -> &'static str {
        match self {
            StoredCredentialUsage::Initial => "I",
            StoredCredentialUsage::Recurring => "R",
            StoredCredentialUsage::Unscheduled => "U",
        }
    }
}

/// Credential-on-file data of an authorization: DE 48.46 (the usage) and, for a
/// merchant-initiated use, DE 48.47 (the RRN of the initial use, 12 characters).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StoredCredential<'a> {
    pub usage: StoredCredentialUsage,
    /// The RRN (network transaction id) of the initial, customer-initiated use; required for
    /// recurring and unscheduled uses.
    pub original_rrn: Option<&'a str>,
}
