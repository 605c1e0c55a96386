//! The payment text the cardholder signs:
//! `{"payment_intent","merchant","amount","currency","signed_at"}` — merchant is the account
//! id, amount in minor units, currency lowercase ISO 4217 alpha, `signed_at` RFC 3339 UTC
//! (`…Z`). The verifier parses the exact text that was signed and never re-serializes it.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::IspError;

/// Most time `signed_at` may be before or after the verifier's clock, in seconds.
pub const MAX_CLOCK_SKEW_SECS: i64 = 5 * 60;

/// The signed payment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedData {
    /// The PaymentIntent id (`pi_…`).
    pub payment_intent: String,
    /// The merchant's account id (`acct_…`).
    pub merchant: String,
    /// Amount in minor units.
    pub amount: i64,
    /// Lowercase ISO 4217 alpha code.
    pub currency: String,
    /// When the cardholder signed, RFC 3339 UTC.
    pub signed_at: String,
}

/// What paygate expects the signed data to say (from the PaymentIntent).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Expected {
    /// The PaymentIntent id.
    pub payment_intent: String,
    /// The merchant's account id.
    pub merchant: String,
    /// Amount in minor units.
    pub amount: i64,
    /// Lowercase ISO 4217 alpha code.
    pub currency: String,
}

impl SignedData {
    /// The signed data of a payment signed at `signed_at` (truncated to whole seconds).
    pub fn new(expected: &Expected, signed_at: OffsetDateTime) -> SignedData {
        let at = signed_at
            .to_offset(time::UtcOffset::UTC)
            .replace_nanosecond(0)
            .unwrap_or(signed_at);
        SignedData {
            payment_intent: expected.payment_intent.clone(),
            merchant: expected.merchant.clone(),
            amount: expected.amount,
            currency: expected.currency.clone(),
            signed_at: at.format(&Rfc3339).unwrap_or_default(),
        }
    }

    /// The text to sign (compact JSON, fields in declaration order).
    pub fn to_text(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Parses the exact signed text and checks its fields' rules.
    pub fn parse(text: &str) -> Result<SignedData, IspError> {
        let data: SignedData = serde_json::from_str(text)
            .map_err(|e| IspError::new("signed_data", format!("not the JSON shape: {e}")))?;
        let bad = |rule: &str| Err(IspError::new("signed_data", rule.to_owned()));
        if data.payment_intent.is_empty() || data.merchant.is_empty() {
            return bad("payment_intent and merchant must not be empty");
        }
        if data.amount < 0 {
            return bad("amount must not be negative");
        }
        if data.currency.len() != 3 || !data.currency.bytes().all(|b| b.is_ascii_lowercase()) {
            return bad("currency must be a lowercase ISO 4217 alpha code");
        }
        data.signed_at_time()?;
        Ok(data)
    }

    /// `signed_at` as a time; it must be RFC 3339 ending in `Z`.
    pub fn signed_at_time(&self) -> Result<OffsetDateTime, IspError> {
        if !self.signed_at.ends_with('Z') {
            return Err(IspError::new(
                "signed_data",
                "signed_at must be UTC (end in Z)",
            ));
        }
        OffsetDateTime::parse(&self.signed_at, &Rfc3339)
            .map_err(|_| IspError::new("signed_data", "signed_at must be RFC 3339"))
    }

    /// Whether intent, merchant, amount and currency are exactly the expected ones.
    pub fn matches(&self, expected: &Expected) -> bool {
        self.payment_intent == expected.payment_intent
            && self.merchant == expected.merchant
            && self.amount == expected.amount
            && self.currency == expected.currency
    }

    /// Whether `signed_at` is within [`MAX_CLOCK_SKEW_SECS`] of `now`.
    pub fn is_fresh_at(&self, now: OffsetDateTime) -> bool {
        self.signed_at_time()
            .map(|t| (now - t).whole_seconds().abs() <= MAX_CLOCK_SKEW_SECS)
            .unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expected() -> Expected {
        Expected {
            payment_intent: "pi_1".into(),
            merchant: "acct_1".into(),
            amount: 12_000,
            currency: "krw".into(),
        }
    }

    #[test]
    fn round_trips_and_checks_rules() {
        let now = OffsetDateTime::now_utc();
        let d = SignedData::new(&expected(), now);
        let text = d.to_text();
        assert!(text.starts_with(r#"{"payment_intent":"pi_1","merchant":"acct_1""#));
        assert!(d.signed_at.ends_with('Z'), "{}", d.signed_at);
        let back = SignedData::parse(&text).unwrap();
        assert_eq!(back, d);
        assert!(back.matches(&expected()));
        assert!(back.is_fresh_at(now + time::Duration::minutes(5)));
        assert!(!back.is_fresh_at(now + time::Duration::minutes(6)));
        assert!(!back.is_fresh_at(now - time::Duration::minutes(6)));
        let mut other = expected();
        other.amount += 1;
        assert!(!back.matches(&other));
        for bad in [
            text.replace("krw", "KRW"),
            text.replace("Z\"", "+09:00\""),
            text.replace("12000", "-1"),
            text.replace("}", r#","extra":1}"#),
            "[]".to_owned(),
        ] {
            assert!(SignedData::parse(&bad).is_err(), "{bad}");
        }
    }
}
