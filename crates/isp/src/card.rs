//! The card data a client encrypts to the ISP server (the JWE payload):
//! `{"number","exp_month","exp_year","cvc"}`. `Debug` shows the last four digits only, and the
//! number and CVC are wiped from memory on drop.

use serde::{Deserialize, Serialize};
use zeroize::Zeroize;

use crate::IspError;

/// The card.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CardPayload {
    /// The PAN, 12–19 digits.
    pub number: String,
    /// Expiry month, 1–12.
    pub exp_month: u8,
    /// Expiry year, four digits.
    pub exp_year: u16,
    /// The CVC, 3–4 digits, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cvc: Option<String>,
}

impl Drop for CardPayload {
    fn drop(&mut self) {
        self.number.zeroize();
        self.cvc.zeroize();
    }
}

impl std::fmt::Debug for CardPayload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CardPayload")
            .field("number", &format_args!("••••{}", self.last4()))
            .field("exp_month", &self.exp_month)
            .field("exp_year", &self.exp_year)
            .field("cvc", &self.cvc.as_ref().map(|_| "•••"))
            .finish()
    }
}

impl CardPayload {
    /// Parses the JSON payload and checks the fields' shapes (not Luhn or expiry: those are
    /// the issuer's rules).
    pub fn from_json(bytes: &[u8]) -> Result<CardPayload, IspError> {
        let card: CardPayload = serde_json::from_slice(bytes).map_err(|_| {
            IspError::new("card", "not the JSON of number, exp_month, exp_year, cvc")
        })?;
        card.validate()?;
        Ok(card)
    }

    /// The JSON payload.
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Checks the fields' shapes.
    pub fn validate(&self) -> Result<(), IspError> {
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if !(12..=19).contains(&self.number.len()) || !digits(&self.number) {
            return Err(IspError::new("card.number", "must be 12 to 19 digits"));
        }
        if !(1..=12).contains(&self.exp_month) {
            return Err(IspError::new("card.exp_month", "must be 1 to 12"));
        }
        if !(2000..=2099).contains(&self.exp_year) {
            return Err(IspError::new("card.exp_year", "must be a four-digit year"));
        }
        if let Some(cvc) = &self.cvc
            && (!(3..=4).contains(&cvc.len()) || !digits(cvc))
        {
            return Err(IspError::new("card.cvc", "must be 3 or 4 digits"));
        }
        Ok(())
    }

    /// The last four digits.
    pub fn last4(&self) -> &str {
        &self.number[self.number.len().saturating_sub(4)..]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_masks_and_json_round_trips() {
        let c = CardPayload {
            number: "4242424242424242".into(),
            exp_month: 12,
            exp_year: 2034,
            cvc: Some("123".into()),
        };
        let dbg = format!("{c:?}");
        assert!(
            !dbg.contains("424242424242") && !dbg.contains("123"),
            "{dbg}"
        );
        assert!(dbg.contains("4242"));
        assert_eq!(CardPayload::from_json(&c.to_json()).unwrap(), c);
        let bad = br#"{"number":"4242","exp_month":12,"exp_year":2034}"#;
        assert!(CardPayload::from_json(bad).is_err());
        let bad = br#"{"number":"4242424242424242","exp_month":13,"exp_year":2034}"#;
        assert!(CardPayload::from_json(bad).is_err());
    }
}
