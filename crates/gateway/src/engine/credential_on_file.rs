//! Credential on file: what an authorization says about a stored card (ISO 8583 DE 48.46/47),
//! and the saving of the card when a payment asks for it (`setup_future_usage`).
//!
//! The rule (docs/BILLING.md):
//! - a SetupIntent's verification, or a payment with `setup_future_usage`, is the **initial**,
//!   customer-initiated use (48.46 = I); its RRN becomes the PaymentMethod's stored credential
//!   (`_stored_credential.network_transaction_id`);
//! - a PaymentIntent confirmed with `off_session=recurring` charging such a PaymentMethod is a
//!   merchant-initiated **recurring** use, `off_session=true` or `one_off` an **unscheduled**
//!   one (48.46 = R / U), both naming the initial use's RRN in 48.47. A saved card without a
//!   stored credential (attached without a setup) is charged off-session without 48.46.

use crate::cards::AuthCard;
use crate::models::PaymentIntent;
use crate::records::event;
use crate::setup_intents::StoredCredentialRecord;
use paygate_payments::{SetupUsage, StoredCredential, StoredCredentialUsage};
use paygate_store::{Op, Scope};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// Stripe's `off_session` on a PaymentIntent confirm: the customer is not present.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OffSession {
    /// `off_session=true` or `one_off`: a charge at no fixed schedule (unscheduled).
    OneOff,
    /// `off_session=recurring`: one of a series (a subscription).
    Recurring,
}

/// The credential-on-file part of an authorization.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CredentialOnFile {
    /// The card is saved with this payment (`setup_future_usage`): 48.46 = initial; on
    /// approval the PaymentMethod is attached to `customer` with the charge's RRN.
    Save {
        customer: String,
        usage: SetupUsage,
        /// The PaymentMethod's stored version when phase 3 runs (0 for one inserted in
        /// phase 1).
        pm_version: i64,
    },
    /// A merchant-initiated use of a stored card, naming the initial use.
    Use {
        usage: StoredCredentialUsage,
        original_network_transaction_id: String,
    },
}

impl CredentialOnFile {
    /// What the intent asks for with `card`: a merchant-initiated use when it is off-session
    /// and the card has a stored credential, a save when it has `setup_future_usage` and a
    /// customer, else nothing. `pm_version` is the PaymentMethod's stored version (`None`
    /// when `card` is new).
    pub fn of(pi: &PaymentIntent, card: &AuthCard, pm_version: Option<i64>) -> Option<Self> {
        if let Some(off) = pi.off_session {
            let record = StoredCredentialRecord::of(&card.pm)?;
            return Some(CredentialOnFile::Use {
                usage: match off {
                    OffSession::Recurring => StoredCredentialUsage::Recurring,
                    OffSession::OneOff => StoredCredentialUsage::Unscheduled,
                },
                original_network_transaction_id: record.network_transaction_id,
            });
        }
        let usage = pi.setup_future_usage?;
        Some(CredentialOnFile::Save {
            customer: pi.customer.clone()?,
            usage,
            pm_version: pm_version.unwrap_or(0),
        })
    }

    /// The payments-level data for the connector.
    pub fn stored_credential(&self) -> StoredCredential<'_> {
        match self {
            CredentialOnFile::Save { .. } => StoredCredential {
                usage: StoredCredentialUsage::Initial,
                original_network_transaction_id: None,
            },
            CredentialOnFile::Use {
                usage,
                original_network_transaction_id,
            } => StoredCredential {
                usage: *usage,
                original_network_transaction_id: Some(original_network_transaction_id),
            },
        }
    }

    /// The writes of an approved payment that saves its card: the PaymentMethod attached to
    /// the customer with the charge's RRN as its stored credential, and
    /// `payment_method.attached` when it was not attached yet. Nothing for other uses.
    pub fn save_ops(
        &self,
        scope: &Scope,
        card: &AuthCard,
        network_transaction_id: Option<&str>,
        (key, now): (Option<&str>, i64),
    ) -> Vec<Op> {
        let (
            CredentialOnFile::Save {
                customer,
                usage,
                pm_version,
            },
            Some(ntid),
        ) = (self, network_transaction_id)
        else {
            return Vec::new();
        };
        let mut pm: Value = card.pm.clone();
        let newly_attached = pm["customer"].is_null();
        pm["customer"] = json!(customer);
        pm["_stored_credential"] = json!(StoredCredentialRecord {
            network_transaction_id: ntid.to_string(),
            usage: *usage,
            three_d_secure: None,
        });
        let mut ops = vec![
            Op::UpdateObject {
                id: card.pm_id.clone(),
                expected_version: *pm_version,
                data: pm.clone(),
                tag: None,
                due: None,
            },
            Op::SetParent {
                id: card.pm_id.clone(),
                parent: Some(customer.clone()),
            },
        ];
        if newly_attached {
            ops.push(event(scope, "payment_method.attached", &pm, key, now));
        }
        ops
    }
}
