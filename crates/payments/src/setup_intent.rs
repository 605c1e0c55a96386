//! SetupIntents: saving a card for later payments without charging it (Stripe's statuses), and
//! the one table of what each status allows.
//!
//! A SetupIntent's confirm checks the card at its issuer with an account verification (no
//! money moves) and, when it is approved, leaves the PaymentMethod attached to the customer:
//! the billing key later charges use, off-session, naming the verification as the initial use
//! of the stored credential.

use serde::{Deserialize, Serialize};

/// Stripe's SetupIntent statuses (`processing` is not used by cards, whose verification
/// answers within the request).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SetupIntentStatus {
    RequiresPaymentMethod,
    RequiresConfirmation,
    RequiresAction,
    Processing,
    Succeeded,
    Canceled,
}

impl SetupIntentStatus {
    /// The status of a SetupIntent waiting for its confirm: with or without a PaymentMethod.
    pub fn awaiting(has_payment_method: bool) -> SetupIntentStatus {
        if has_payment_method {
            SetupIntentStatus::RequiresConfirmation
        } else {
            SetupIntentStatus::RequiresPaymentMethod
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SetupIntentStatus::RequiresPaymentMethod => "requires_payment_method",
            SetupIntentStatus::RequiresConfirmation => "requires_confirmation",
            SetupIntentStatus::RequiresAction => "requires_action",
            SetupIntentStatus::Processing => "processing",
            SetupIntentStatus::Succeeded => "succeeded",
            SetupIntentStatus::Canceled => "canceled",
        }
    }
}

/// What a request does to a SetupIntent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetupIntentOp {
    /// Metadata, description (bookkeeping): allowed in every status.
    UpdateBookkeeping,
    /// Customer, payment method, usage.
    Update,
    Confirm,
    Cancel,
    /// The payer is back from the 3-D Secure challenge: the verification runs.
    Resume,
}

/// How the saved card will be used (Stripe's `usage`): `off_session` lets the merchant charge
/// it without the customer (merchant-initiated: recurring or unscheduled).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SetupUsage {
    #[default]
    OffSession,
    OnSession,
}

/// Whether `op` is allowed on a SetupIntent in `status`: the one table.
pub fn allowed(status: SetupIntentStatus, op: SetupIntentOp) -> bool {
    use SetupIntentOp as O;
    use SetupIntentStatus as S;
    match op {
        O::UpdateBookkeeping => true,
        O::Update | O::Confirm | O::Cancel => matches!(
            status,
            S::RequiresPaymentMethod | S::RequiresConfirmation | S::RequiresAction
        ),
        O::Resume => status == S::RequiresAction,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_waiting_setup_intent_is_confirmed_changed_or_canceled() {
        use SetupIntentStatus as S;
        let all = [
            S::RequiresPaymentMethod,
            S::RequiresConfirmation,
            S::RequiresAction,
            S::Processing,
            S::Succeeded,
            S::Canceled,
        ];
        for s in all {
            let waiting = matches!(
                s,
                S::RequiresPaymentMethod | S::RequiresConfirmation | S::RequiresAction
            );
            for op in [
                SetupIntentOp::Update,
                SetupIntentOp::Confirm,
                SetupIntentOp::Cancel,
            ] {
                assert_eq!(allowed(s, op), waiting, "{s:?} {op:?}");
            }
            assert!(allowed(s, SetupIntentOp::UpdateBookkeeping));
            assert_eq!(
                allowed(s, SetupIntentOp::Resume),
                s == S::RequiresAction,
                "{s:?}"
            );
            let json = serde_json::to_value(s).unwrap();
            assert_eq!(json, s.as_str());
        }
        assert_eq!(S::awaiting(true), S::RequiresConfirmation);
        assert_eq!(S::awaiting(false), S::RequiresPaymentMethod);
    }
}
