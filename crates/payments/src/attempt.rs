//! Typed recovery records ("attempts").
//!
//! Before a request calls a counterparty it commits one [`AttemptRecord`] (phase 1) naming the
//! message about to go out; the commit of the outcome (phase 3) deletes it. A record still
//! there after a crash tells recovery what to finish. The JSON shape is the one stored since
//! the first release (`{"kind": "authorization", …}`), so old rows load unchanged.
//!
//! A record whose `kind` this build does not know is an [`AttemptError`], never a record to
//! drop: it stays in the table for an operator (or a newer build) to finish.

use paygate_ledger::Counterparty;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A counterparty's own reference to a message (for the card network: terminal id, STAN and
/// transmission time; for a follow-up: the whole repeatable message). The engine stores it and
/// hands it back to the connector that made it; only that connector reads inside.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ConnectorRef(pub Value);

/// What a request was about to do at a counterparty when it recorded itself.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AttemptRecord {
    /// An authorization (or purchase) may have reached the counterparty.
    Authorization {
        payment_intent: String,
        net_ref: ConnectorRef,
        amount: i64,
        currency_numeric: u16,
        /// The counterparty the message went to; rows stored before this field existed went
        /// to the card network (see [`AttemptRecord::processor`]).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        processor: Option<Counterparty>,
        #[serde(default)]
        idempotency_key: Option<String>,
    },
    /// The reversal of an authorized intent being canceled.
    Cancel {
        payment_intent: String,
        net_ref: ConnectorRef,
        amount: i64,
        currency_numeric: u16,
        /// The counterparty the message went to; rows stored before this field existed went
        /// to the card network (see [`AttemptRecord::processor`]).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        processor: Option<Counterparty>,
        #[serde(default)]
        idempotency_key: Option<String>,
    },
    /// A capture (completion) may have been sent.
    Capture {
        payment_intent: String,
        charge: String,
        follow_up: ConnectorRef,
        /// The counterparty the message went to; rows stored before this field existed went
        /// to the card network (see [`AttemptRecord::processor`]).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        processor: Option<Counterparty>,
        #[serde(default)]
        idempotency_key: Option<String>,
    },
    /// A refund may have been sent.
    Refund {
        charge: String,
        refund: String,
        follow_up: ConnectorRef,
        #[serde(default)]
        reason: Option<String>,
        #[serde(default)]
        metadata: Map<String, Value>,
        /// The counterparty the message went to; rows stored before this field existed went
        /// to the card network (see [`AttemptRecord::processor`]).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        processor: Option<Counterparty>,
        #[serde(default)]
        idempotency_key: Option<String>,
        /// The refund's `destination_details` when it is a transfer to a bank account.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        destination: Option<Value>,
    },
    /// A deposit notice (입금통보) of a virtual account being recorded; the bank sends the
    /// notice again until the gateway acknowledges it, and recovery finishes it from here.
    Deposit {
        payment_intent: String,
        /// `va_<account number>`: the virtual account object.
        virtual_account: String,
        /// The bank's id of the deposit (a notice delivered twice carries the same).
        deposit_id: String,
        /// KRW.
        amount: i64,
        depositor: String,
        deposited_at: i64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        processor: Option<Counterparty>,
    },
}

/// A stored attempt that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum AttemptError {
    #[error("attempt {id}: unknown kind {kind:?}; left in place for an operator")]
    UnknownKind { id: String, kind: String },
    #[error("attempt {id}: unreadable record: {reason}")]
    Unreadable { id: String, reason: String },
}

/// The kinds this build can recover.
pub const KINDS: [&str; 5] = ["authorization", "cancel", "capture", "refund", "deposit"];

impl AttemptRecord {
    /// Reads a stored record (`id` names it in errors).
    pub fn from_stored(id: &str, data: &Value) -> Result<AttemptRecord, AttemptError> {
        let kind = data.get("kind").and_then(Value::as_str).unwrap_or_default();
        if !KINDS.contains(&kind) {
            return Err(AttemptError::UnknownKind {
                id: id.to_string(),
                kind: kind.to_string(),
            });
        }
        AttemptRecord::deserialize(data).map_err(|e| AttemptError::Unreadable {
            id: id.to_string(),
            reason: e.to_string(),
        })
    }

    /// The JSON stored for this record.
    pub fn to_stored(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// The state column of the attempt row (for operators reading the table).
    pub fn state(&self) -> &'static str {
        match self {
            AttemptRecord::Authorization { .. } => "authorizing",
            AttemptRecord::Cancel { .. } => "reversing",
            AttemptRecord::Capture { .. } => "capturing",
            AttemptRecord::Refund { .. } => "refunding",
            AttemptRecord::Deposit { .. } => "depositing",
        }
    }

    /// The PaymentIntent the attempt is for (a refund's record names its charge only).
    pub fn payment_intent(&self) -> Option<&str> {
        match self {
            AttemptRecord::Authorization { payment_intent, .. }
            | AttemptRecord::Cancel { payment_intent, .. }
            | AttemptRecord::Capture { payment_intent, .. }
            | AttemptRecord::Deposit { payment_intent, .. } => Some(payment_intent),
            AttemptRecord::Refund { .. } => None,
        }
    }

    /// The counterparty the recorded message went to, whose connector recovery asks: the one
    /// named in the record, else the card network (the only one before records named it).
    pub fn processor(&self) -> Counterparty {
        let named = match self {
            AttemptRecord::Authorization { processor, .. }
            | AttemptRecord::Cancel { processor, .. }
            | AttemptRecord::Capture { processor, .. }
            | AttemptRecord::Refund { processor, .. }
            | AttemptRecord::Deposit { processor, .. } => *processor,
        };
        named.unwrap_or(Counterparty::CardNetwork)
    }

    /// The idempotency key of the request that wrote the record, if it had one.
    pub fn idempotency_key(&self) -> Option<&str> {
        match self {
            AttemptRecord::Authorization {
                idempotency_key, ..
            }
            | AttemptRecord::Cancel {
                idempotency_key, ..
            }
            | AttemptRecord::Capture {
                idempotency_key, ..
            }
            | AttemptRecord::Refund {
                idempotency_key, ..
            } => idempotency_key.as_deref(),
            // A deposit comes from the bank, not from a merchant's request.
            AttemptRecord::Deposit { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn records_stored_by_earlier_releases_load_and_store_unchanged() {
        let rows = [
            json!({"kind": "authorization", "payment_intent": "pi_1", "net_ref": {"tid": "T1", "stan": 7},
                   "amount": 1000, "currency_numeric": 410, "idempotency_key": "k1"}),
            json!({"kind": "cancel", "payment_intent": "pi_1", "net_ref": {"tid": "T1"},
                   "amount": 1000, "currency_numeric": 410, "idempotency_key": null}),
            json!({"kind": "capture", "payment_intent": "pi_1", "charge": "ch_1",
                   "follow_up": {"amount": 5}, "idempotency_key": "k2"}),
            json!({"kind": "refund", "charge": "ch_1", "refund": "re_1", "follow_up": {"amount": 5},
                   "reason": null, "metadata": {"a": "b"}, "idempotency_key": null}),
        ];
        for row in rows {
            let r = AttemptRecord::from_stored("a", &row).unwrap();
            assert_eq!(r.to_stored(), row);
        }
        // Rows written without the optional fields still load.
        let old = json!({"kind": "refund", "charge": "ch_1", "refund": "re_1", "follow_up": {}, "metadata": {}});
        let r = AttemptRecord::from_stored("a", &old).unwrap();
        assert_eq!(r.state(), "refunding");
        assert_eq!(r.idempotency_key(), None);
        assert_eq!(r.processor(), Counterparty::CardNetwork);
    }

    #[test]
    fn a_record_names_its_processor_and_one_this_build_does_not_know_is_unreadable() {
        let row = json!({"kind": "capture", "payment_intent": "pi_1", "charge": "ch_1",
                         "follow_up": {}, "processor": "card_network", "idempotency_key": null});
        let r = AttemptRecord::from_stored("a", &row).unwrap();
        assert_eq!(r.processor(), Counterparty::CardNetwork);
        assert_eq!(r.to_stored(), row);
        let future = json!({"kind": "capture", "payment_intent": "pi_1", "charge": "ch_1",
                            "follow_up": {}, "processor": "kakao_pay"});
        let e = AttemptRecord::from_stored("x:3", &future).unwrap_err();
        assert!(matches!(e, AttemptError::Unreadable { .. }), "{e}");
        assert!(e.to_string().contains("kakao_pay"), "{e}");
    }

    #[test]
    fn an_unknown_or_broken_record_is_an_error_naming_it() {
        let e = AttemptRecord::from_stored("x:1", &json!({"kind": "teleport"})).unwrap_err();
        assert!(matches!(e, AttemptError::UnknownKind { ref kind, .. } if kind == "teleport"));
        assert!(e.to_string().contains("x:1"));
        let e = AttemptRecord::from_stored("x:2", &json!({"kind": "capture"})).unwrap_err();
        assert!(matches!(e, AttemptError::Unreadable { .. }));
    }
}
