//! What a reconciliation reports: the [`ReconcileReport`] and its [`Problem`]s, each naming
//! the item concerned (charge id, RRN, STAN, amount) and the side of the books missing it.

use crate::models::Charge;
use paygate_network::report::AuthorizationState;
use serde::Serialize;

/// The problem kinds (see the table in the `reconcile` module documentation).
pub mod kind {
    /// A succeeded charge without an approved authorization at the network.
    pub const MISSING_AT_NETWORK: &str = "missing_at_network";
    /// Captured amounts differ.
    pub const CAPTURED_MISMATCH: &str = "captured_mismatch";
    /// Refunded amounts differ.
    pub const REFUNDED_MISMATCH: &str = "refunded_mismatch";
    /// One side voided the authorization, the other did not.
    pub const REVERSAL_MISMATCH: &str = "reversal_mismatch";
    /// A charge the gateway recorded as declined that the network approved.
    pub const DECLINE_MISMATCH: &str = "decline_mismatch";
    /// An approved, unreversed authorization no charge accounts for.
    pub const ORPHAN_AT_NETWORK: &str = "orphan_at_network";
}

/// The outcome of one reconciliation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReconcileReport {
    /// Card-network charges walked (every status, every merchant, both modes).
    pub charges_checked: u64,
    /// Authorizations and purchases in the network's report (approved or not).
    pub network_authorizations: u64,
    /// Charges paired with their network authorization (a pair may still have problems).
    pub matched: u64,
    /// Every disagreement found; empty when the books agree.
    pub problems: Vec<Problem>,
}

/// The side of the books that has no record of an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// The gateway has no charge for it.
    Gateway,
    /// The network has no (approved) authorization for it.
    Network,
}

impl Side {
    /// `gateway` or `network`.
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Gateway => "gateway",
            Side::Network => "network",
        }
    }
}

/// One disagreement between the gateway and the network, naming the item concerned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// One of the [`kind`] constants.
    pub kind: &'static str,
    /// The side that has no record of the item; `None` when both have one and they disagree.
    pub missing_on: Option<Side>,
    /// The charge concerned, if the gateway has one.
    pub charge: Option<String>,
    /// The RRN concerned, if known.
    pub rrn: Option<String>,
    /// The STAN (DE 11) of the network message concerned, if known.
    pub stan: Option<String>,
    /// The amount concerned, minor units of `currency`: the charge's amount when the gateway
    /// has the item, else the network's.
    pub amount: Option<i64>,
    /// The currency of `amount` as its side names it: the charge's ISO code (`krw`) or the
    /// network's ISO 4217 numeric (`410`).
    pub currency: Option<String>,
    /// What disagrees, with the amounts (minor units) on both sides.
    pub detail: String,
}

/// What a problem is about, as much of it as one side knows.
#[derive(Default)]
pub(super) struct Item<'a> {
    charge: Option<&'a str>,
    rrn: Option<&'a str>,
    stan: Option<&'a str>,
    amount: Option<i64>,
    currency: Option<&'a str>,
}

impl<'a> Item<'a> {
    /// A charge of the gateway, and the RRN it is known by at the network.
    pub(super) fn charge(ch: &'a Charge, rrn: Option<&'a str>) -> Item<'a> {
        Item {
            charge: Some(&ch.id),
            rrn,
            stan: ch.net.as_ref().and_then(|n| n.net_ref.0["stan"].as_str()),
            amount: Some(ch.amount),
            currency: Some(&ch.currency),
        }
    }

    /// An authorization at the network.
    pub(super) fn network(a: &'a AuthorizationState) -> Item<'a> {
        Item {
            charge: None,
            rrn: Some(&a.rrn),
            stan: Some(&a.stan),
            amount: Some(a.amount),
            currency: Some(&a.currency),
        }
    }
}

impl ReconcileReport {
    pub(super) fn push(&mut self, kind: &'static str, item: Item<'_>, detail: String) {
        let missing_on = match kind {
            kind::MISSING_AT_NETWORK => Some(Side::Network),
            kind::ORPHAN_AT_NETWORK => Some(Side::Gateway),
            _ => None,
        };
        let text = |v: Option<&str>| v.filter(|v| !v.is_empty()).map(str::to_string);
        self.problems.push(Problem {
            kind,
            missing_on,
            charge: text(item.charge),
            rrn: text(item.rrn),
            stan: text(item.stan),
            amount: item.amount,
            currency: text(item.currency),
            detail,
        });
    }
}
