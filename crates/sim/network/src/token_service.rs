//! The network's token service: which device tokens (DPANs, the card numbers Apple Pay and
//! Samsung Pay put on the phone) stand for which funding card, and the rule on their one-time
//! cryptograms. Pure: the replay check against earlier cryptograms runs in the authorization
//! command, on the store (`wallet_tokens`).
//!
//! Ranges (`docs/iso8583.md`, "Device tokens"): any Luhn-valid 16-digit number starting
//! `48953700` is a Visa device token of 4242424242424242, `53999900` a Mastercard device token
//! of 5555555555554444. The issuer decides on the funding card (test-card table, its
//! open-to-buy); the DPAN only has to be in a range and carry a fresh cryptogram.

use sha2::{Digest, Sha256};
use std::fmt::Write as _;

use crate::wire::pan;

/// One range of device tokens and the funding card behind it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenRange {
    /// The first digits every DPAN of the range starts with.
    pub prefix: &'static str,
    /// Brand of the range, for the docs and the journal.
    pub brand: &'static str,
    /// The funding card (a row of [`crate::TEST_CARDS`]) the tokens stand for.
    pub funding_pan: &'static str,
}

/// Every token range the simulated token service knows.
pub const TOKEN_RANGES: &[TokenRange] = &[
    TokenRange {
        prefix: "48953700",
        brand: "Visa",
        funding_pan: "4242424242424242",
    },
    TokenRange {
        prefix: "53999900",
        brand: "Mastercard",
        funding_pan: "5555555555554444",
    },
];

/// Length of every device token.
pub const DPAN_LENGTH: usize = 16;

/// The range of `dpan` when it is a device token: 16 digits, Luhn-valid, in a range. A
/// number with a range's prefix that breaks the other rules is no token (and no card: 14).
pub fn resolve(dpan: &str) -> Option<&'static TokenRange> {
    if dpan.len() != DPAN_LENGTH || !pan::luhn_valid(dpan) {
        return None;
    }
    TOKEN_RANGES.iter().find(|r| dpan.starts_with(r.prefix))
}

/// What the token service concluded about a device token's cryptogram (journaled).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CryptogramCheck {
    /// Present and never seen before: the issuer may approve.
    Fresh,
    /// No cryptogram (DE 48.43) with the token: declined 05.
    Missing,
    /// A cryptogram an earlier authorization already used: declined 05.
    Replayed,
}

impl CryptogramCheck {
    /// The store's name.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            CryptogramCheck::Fresh => "fresh",
            CryptogramCheck::Missing => "missing",
            CryptogramCheck::Replayed => "replayed",
        }
    }

    /// Reads the store's name.
    pub(crate) fn parse(s: &str) -> Option<CryptogramCheck> {
        match s {
            "fresh" => Some(CryptogramCheck::Fresh),
            "missing" => Some(CryptogramCheck::Missing),
            "replayed" => Some(CryptogramCheck::Replayed),
            _ => None,
        }
    }
}

/// What the store keeps of a cryptogram to recognise its replay: hex SHA-256 of its text (the
/// cryptogram itself is never stored).
pub(crate) fn cryptogram_digest(cryptogram: &str) -> String {
    let digest = Sha256::digest(cryptogram.as_bytes());
    digest.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TEST_CARDS;

    #[test]
    fn ranges_map_to_funding_cards_that_exist() {
        for r in TOKEN_RANGES {
            assert!(TEST_CARDS.iter().any(|c| c.pan == r.funding_pan), "{r:?}");
        }
        assert_eq!(
            resolve("4895370000000015").map(|r| r.funding_pan),
            Some("4242424242424242")
        );
        assert_eq!(
            resolve("5399990000000018").map(|r| r.funding_pan),
            Some("5555555555554444")
        );
    }

    #[test]
    fn only_luhn_valid_sixteen_digit_numbers_in_a_range_are_tokens() {
        assert_eq!(resolve("4895370000000014"), None, "Luhn");
        assert_eq!(resolve("489537000000006"), None, "15 digits");
        assert_eq!(resolve("4242424242424242"), None, "funding card");
        assert_eq!(resolve("4895360000000016"), None, "outside the range");
    }

    #[test]
    fn the_digest_is_stable_and_hides_the_cryptogram() {
        let d = cryptogram_digest("AwAABCQACCDLHvYBtQ9EgUUQYaA=");
        assert_eq!(d.len(), 64);
        assert_eq!(d, cryptogram_digest("AwAABCQACCDLHvYBtQ9EgUUQYaA="));
        assert_ne!(d, cryptogram_digest("AwAABCQACCDLHvYBtQ9EgUUQYaB="));
    }
}
