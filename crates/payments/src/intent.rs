//! The PaymentIntent lifecycle as data: its statuses and the one table of which operation is
//! allowed in which status. Every handler and the engine ask [`check`] instead of comparing
//! strings.
//!
//! ```text
//! requires_payment_method ─┬─ confirm ─▶ processing ─┬─▶ succeeded            (automatic capture)
//! requires_confirmation ───┘                ▲        ├─▶ requires_capture ─ capture ─▶ processing ─▶ succeeded
//!                                           │        ├─▶ requires_action ─ resume ─┘
//!                                           │        └─▶ requires_payment_method  (declined, failed)
//! requires_action ─ confirm ─▶ (starts over: the payer's pending action is abandoned)
//! any of the first four, and requires_capture ─ cancel ─▶ canceled
//! ```
//!
//! | operation \ status                  | rpm | rc | ra | processing | rcap | succeeded | canceled |
//! |-------------------------------------|-----|----|----|------------|------|-----------|----------|
//! | update (metadata, description, …)   | ✓   | ✓  | ✓  | ✓          | ✓    | ✓         | ✓        |
//! | update customer, receipt email      | ✓   | ✓  | ✓  | ✓          | ✓    |           |          |
//! | update amount or currency           | ✓   | ✓  | ✓  |            |      |           |          |
//! | update payment method               | ✓   | ✓  | ✓  |            |      |           |          |
//! | confirm                             | ✓   | ✓  | ✓  |            |      |           |          |
//! | resume (after the payer's action)   |     |    | ✓  |            |      |           |          |
//! | capture                             |     |    |    |            | ✓    |           |          |
//! | cancel                              | ✓   | ✓  | ✓  |            | ✓    |           |          |
//!
//! Metadata and description are bookkeeping of the merchant, never part of a payment: Stripe
//! allows them in every status, and they must never disturb a payment in flight.

use serde::{Deserialize, Serialize};

/// Stripe's PaymentIntent `status`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentIntentStatus {
    RequiresPaymentMethod,
    RequiresConfirmation,
    RequiresAction,
    Processing,
    RequiresCapture,
    Succeeded,
    Canceled,
}

impl PaymentIntentStatus {
    pub const ALL: [PaymentIntentStatus; 7] = [
        PaymentIntentStatus::RequiresPaymentMethod,
        PaymentIntentStatus::RequiresConfirmation,
        PaymentIntentStatus::RequiresAction,
        PaymentIntentStatus::Processing,
        PaymentIntentStatus::RequiresCapture,
        PaymentIntentStatus::Succeeded,
        PaymentIntentStatus::Canceled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PaymentIntentStatus::RequiresPaymentMethod => "requires_payment_method",
            PaymentIntentStatus::RequiresConfirmation => "requires_confirmation",
            PaymentIntentStatus::RequiresAction => "requires_action",
            PaymentIntentStatus::Processing => "processing",
            PaymentIntentStatus::RequiresCapture => "requires_capture",
            PaymentIntentStatus::Succeeded => "succeeded",
            PaymentIntentStatus::Canceled => "canceled",
        }
    }

    /// Where an intent waits for a payment method: with one it can be confirmed.
    pub fn awaiting(has_payment_method: bool) -> PaymentIntentStatus {
        if has_payment_method {
            PaymentIntentStatus::RequiresConfirmation
        } else {
            PaymentIntentStatus::RequiresPaymentMethod
        }
    }
}

impl std::fmt::Display for PaymentIntentStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<&str> for PaymentIntentStatus {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// When the funds of an authorized payment are captured.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaptureMethod {
    /// Captured with the authorization (Stripe's `automatic_async` is the same here).
    Automatic,
    /// Held as `requires_capture` until the merchant captures.
    Manual,
}

impl CaptureMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            CaptureMethod::Automatic => "automatic",
            CaptureMethod::Manual => "manual",
        }
    }

    /// Reads Stripe's parameter value (`automatic`, `automatic_async`, `manual`).
    pub fn parse(s: &str) -> Option<CaptureMethod> {
        match s {
            "automatic" | "automatic_async" => Some(CaptureMethod::Automatic),
            "manual" => Some(CaptureMethod::Manual),
            _ => None,
        }
    }
}

/// What a request wants to do to an intent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IntentOp {
    /// Metadata, description, statement descriptor: bookkeeping, allowed always.
    Update,
    /// Customer and receipt email: allowed until the intent is final.
    UpdateCustomer,
    UpdateAmountOrCurrency,
    UpdatePaymentMethod,
    Confirm,
    /// Continue after the payer's action (`requires_action`).
    Resume,
    Capture,
    Cancel,
    /// A deposit into the intent's virtual account (가상계좌) reported by the bank.
    Deposit,
}

impl IntentOp {
    /// Words for Stripe's message "You cannot {verb} this PaymentIntent …".
    fn verb(self) -> &'static str {
        match self {
            IntentOp::Update | IntentOp::UpdateCustomer => "update",
            IntentOp::UpdateAmountOrCurrency => "update the amount or currency of",
            IntentOp::UpdatePaymentMethod => "update the payment method of",
            IntentOp::Confirm => "confirm",
            IntentOp::Resume => "resume",
            IntentOp::Capture => "capture",
            IntentOp::Cancel => "cancel",
            IntentOp::Deposit => "fund",
        }
    }
}

/// An operation asked of an intent in a status that does not allow it; the gateway answers it
/// as Stripe's `payment_intent_unexpected_state`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("You cannot {} this PaymentIntent because it has a status of {status}.", op.verb())]
pub struct UnexpectedState {
    pub status: PaymentIntentStatus,
    pub op: IntentOp,
}

/// The transition table: is `op` allowed on an intent in `status`?
pub fn allowed(status: PaymentIntentStatus, op: IntentOp) -> bool {
    use IntentOp as O;
    use PaymentIntentStatus as S;
    match op {
        O::Update => true,
        O::UpdateCustomer => !matches!(status, S::Succeeded | S::Canceled),
        O::UpdateAmountOrCurrency | O::UpdatePaymentMethod => matches!(
            status,
            S::RequiresPaymentMethod | S::RequiresConfirmation | S::RequiresAction
        ),
        // In `requires_action` a confirm starts over (Stripe's): the pending action is dropped.
        O::Confirm => matches!(
            status,
            S::RequiresPaymentMethod | S::RequiresConfirmation | S::RequiresAction
        ),
        O::Resume | O::Deposit => status == S::RequiresAction,
        O::Capture => status == S::RequiresCapture,
        O::Cancel => matches!(
            status,
            S::RequiresPaymentMethod
                | S::RequiresConfirmation
                | S::RequiresAction
                | S::RequiresCapture
        ),
    }
}

/// [`allowed`] as a `Result` carrying what was refused.
pub fn check(status: PaymentIntentStatus, op: IntentOp) -> Result<(), UnexpectedState> {
    if allowed(status, op) {
        Ok(())
    } else {
        Err(UnexpectedState { status, op })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use IntentOp as O;
    use PaymentIntentStatus as S;

    /// The table of the module documentation, row by row; a change to the rules changes this.
    #[test]
    fn the_transition_table_is_the_documented_one() {
        let rows: [(IntentOp, [bool; 7]); 8] = [
            (O::Update, [true, true, true, true, true, true, true]),
            (
                O::UpdateCustomer,
                [true, true, true, true, true, false, false],
            ),
            (
                O::UpdateAmountOrCurrency,
                [true, true, true, false, false, false, false],
            ),
            (
                O::UpdatePaymentMethod,
                [true, true, true, false, false, false, false],
            ),
            (O::Confirm, [true, true, true, false, false, false, false]),
            (O::Resume, [false, false, true, false, false, false, false]),
            (O::Capture, [false, false, false, false, true, false, false]),
            (O::Cancel, [true, true, true, false, true, false, false]),
        ];
        for (op, expected) in rows {
            for (status, want) in S::ALL.into_iter().zip(expected) {
                assert_eq!(allowed(status, op), want, "{op:?} in {status}");
            }
        }
    }

    #[test]
    fn a_refusal_says_what_and_why_in_stripes_words() {
        let e = check(S::RequiresCapture, O::UpdateAmountOrCurrency).unwrap_err();
        assert_eq!(
            e.to_string(),
            "You cannot update the amount or currency of this PaymentIntent because it has a status of requires_capture."
        );
        assert_eq!(
            check(S::Succeeded, O::Capture).unwrap_err().to_string(),
            "You cannot capture this PaymentIntent because it has a status of succeeded."
        );
    }

    #[test]
    fn statuses_and_capture_methods_keep_their_stored_names() {
        for s in S::ALL {
            let json = serde_json::to_value(s).unwrap();
            assert_eq!(json, s.as_str());
            assert_eq!(serde_json::from_value::<S>(json).unwrap(), s);
        }
        assert_eq!(
            serde_json::to_value(CaptureMethod::Manual).unwrap(),
            "manual"
        );
        assert_eq!(
            CaptureMethod::parse("automatic_async"),
            Some(CaptureMethod::Automatic)
        );
        assert_eq!(CaptureMethod::parse("later"), None);
    }
}
