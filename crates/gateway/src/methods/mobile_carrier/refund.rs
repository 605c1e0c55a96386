//! The carrier's refund rules, checked before the engine's `Refund` goes to the carrier:
//! a carrier charge is cancelled in full only, and only in the KST calendar month it was
//! billed in. After that month's bill closed the carrier refuses, and the money goes back by
//! bank transfer to a refund account the merchant names (`refund_account[bank_code]`,
//! `[account_number]`, `[holder_name]`) — that leg belongs to the bank transfer method and is
//! not in this build, so the refund is refused with the rule named (docs/MOBILE_CARRIER.md).

use crate::error::{ApiError, ApiResult};
use crate::models::Charge;
use paygate_payments::clock::kst_date;

/// Whether `a` and `b` (Unix seconds) fall in the same KST calendar month.
pub fn same_kst_month(a: i64, b: i64) -> bool {
    let (a, b) = (kst_date(a), kst_date(b));
    (a.year(), a.month()) == (b.year(), b.month())
}

/// Checks a refund of `amount` (None: the rest) of the carrier charge `ch` at `now`.
pub fn check(ch: &Charge, amount: Option<i64>, now: i64) -> ApiResult<()> {
    let remaining = ch.amount_captured - ch.amount_refunded;
    if amount.is_some_and(|a| a != ch.amount_captured) || remaining != ch.amount_captured {
        return Err(ApiError::invalid(
            "amount",
            "parameter_invalid",
            format!(
                "A mobile_carrier charge is refunded in full only: amount must be {} (or left out).",
                ch.amount_captured
            ),
        ));
    }
    if !same_kst_month(ch.created, now) {
        return Err(ApiError::invalid(
            "refund_account",
            "charge_not_refundable_after_month_end",
            "The carrier closed the phone bill of this charge's month (KST): it can no longer \
             be cancelled at the carrier. It must be refunded by bank transfer to \
             refund_account[bank_code], [account_number] and [holder_name], which this \
             gateway does not offer yet.",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_month_turns_at_midnight_kst() {
        // 2026-01-31T14:59:59Z = 23:59:59 KST.
        assert!(same_kst_month(1_767_225_600, 1_769_871_599));
        assert!(!same_kst_month(1_769_871_599, 1_769_871_600));
    }
}
