//! 할부 (instalments) of a card payment, Stripe's way:
//! `payment_method_options[card][installments][plan][count|interval|type]` with
//! `interval=month` and `type=fixed_count`. Korean card issuers split a KRW payment of
//! [`MIN_KRW`] or more into 2 to 12 monthly instalments; the authorization carries the count
//! to the network (ISO 8583 DE 48.50, docs/iso8583.md) and the charge shows the plan
//! (`payment_method_details.card.installments.plan`). No plan, or a count of 0, is 일시불
//! (paid at once).

use crate::error::{ApiError, ApiResult};
use crate::models::PaymentIntent;
use crate::params::typed::Words;
use serde_json::{Value, json};

/// Smallest KRW amount a card payment may be split at (5만원, the card companies' rule).
pub const MIN_KRW: i64 = 50_000;
/// Fewest and most monthly instalments.
pub const COUNT_MIN: u8 = 2;
pub const COUNT_MAX: u8 = 12;
/// The parameter every instalment error names.
pub const COUNT_PARAM: &str = "payment_method_options[card][installments][plan][count]";

/// `…[plan][interval]`: only monthly plans exist.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlanInterval {
    Month,
}

impl Words for PlanInterval {
    const WORDS: &'static [(&'static str, PlanInterval)] = &[("month", PlanInterval::Month)];
}

/// `…[plan][type]`: only a fixed count of instalments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlanType {
    FixedCount,
}

impl Words for PlanType {
    const WORDS: &'static [(&'static str, PlanType)] = &[("fixed_count", PlanType::FixedCount)];
}

/// Whether a payment of `amount` minor units of `currency` may be split.
pub fn allowed(currency: Option<&str>, amount: Option<i64>) -> bool {
    currency == Some("krw") && amount.is_some_and(|a| a >= MIN_KRW)
}

/// The count asked for: `None` for 일시불 (0), the months for 2..=12, else the error naming
/// the parameter.
pub fn count(n: i64) -> ApiResult<Option<u8>> {
    match n {
        0 => Ok(None),
        n if (i64::from(COUNT_MIN)..=i64::from(COUNT_MAX)).contains(&n) => Ok(u8::try_from(n).ok()),
        _ => Err(ApiError::bad_param(
            COUNT_PARAM,
            format!("must be 0 (paid at once) or {COUNT_MIN} to {COUNT_MAX} monthly instalments"),
        )),
    }
}

/// Whether the request's parameters `root` ask for a plan.
pub fn asked(root: &serde_json::Map<String, Value>) -> bool {
    root.get("payment_method_options")
        .and_then(|o| o.get("card"))
        .and_then(|c| c.get("installments"))
        .is_some_and(|i| !i.is_null())
}

/// Checks the plan kept on `pi` against its amount and the method it is confirmed with.
pub fn check(pi: &PaymentIntent, card: bool) -> ApiResult<()> {
    if pi.installments.is_none() {
        return Ok(());
    }
    if !card {
        return Err(ApiError::bad_param(
            COUNT_PARAM,
            "instalments (할부) are for card payments only",
        ));
    }
    if !allowed(Some(&pi.currency), Some(pi.amount)) {
        return Err(ApiError::bad_param(
            COUNT_PARAM,
            format!("instalments (할부) are offered on KRW payments of {MIN_KRW} or more only"),
        ));
    }
    Ok(())
}

/// The plan as the charge shows it (`payment_method_details.card.installments`).
pub fn plan(count: u8) -> Value {
    json!({"plan": {"count": count, "interval": "month", "type": "fixed_count"}})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_zero_or_two_to_twelve_and_amounts_krw_from_50000() {
        assert_eq!(count(0).unwrap(), None);
        assert_eq!(count(2).unwrap(), Some(2));
        assert_eq!(count(12).unwrap(), Some(12));
        for bad in [1, 13, -3] {
            assert_eq!(count(bad).unwrap_err().param.as_deref(), Some(COUNT_PARAM));
        }
        assert!(allowed(Some("krw"), Some(50_000)));
        assert!(!allowed(Some("krw"), Some(49_999)));
        assert!(!allowed(Some("usd"), Some(5_000_000)));
    }
}
