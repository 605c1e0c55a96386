//! The CAVV (authenticationValue) the ACS issues, and the card fingerprint the journal keys
//! cards by. Both are HMAC-SHA256 under keys only the simulators hold:
//!
//! - CAVV = base64 (standard, padded) of the first 20 bytes of
//!   HMAC-SHA256(cavv_key, "{acctNumber}|{purchaseAmount}|{purchaseCurrency}|{dsTransID}|{eci}"),
//!   the amount as a decimal number without leading zeros — the card-network simulator
//!   recomputes it from DE 2, 4, 49, 48.44 and 48.42;
//! - fingerprint = hex of the first 16 bytes of HMAC-SHA256(fingerprint_key, PAN), where
//!   fingerprint_key = HMAC-SHA256(cavv_key, "paygate-sim-threeds card fingerprint v1"): the
//!   journal and the lockouts never hold a PAN.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Length of a CAVV before encoding, in bytes.
const CAVV_BYTES: usize = 20;
/// Length of a card fingerprint, in bytes (32 hex digits).
const FINGERPRINT_BYTES: usize = 16;
const FINGERPRINT_LABEL: &[u8] = b"paygate-sim-threeds card fingerprint v1";

/// The keys derived from the CAVV key; `Debug` never shows them.
#[derive(Clone)]
pub(crate) struct Keys {
    cavv: [u8; 32],
    fingerprint: [u8; 32],
}

impl fmt::Debug for Keys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Keys(..)")
    }
}

fn hmac(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = <HmacSha256 as KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().into()
}

impl Keys {
    /// The keys of one CAVV key (32 bytes from `--cavv-key-file`).
    pub(crate) fn new(cavv_key: [u8; 32]) -> Keys {
        let fingerprint = hmac(&cavv_key, &[FINGERPRINT_LABEL]);
        Keys {
            cavv: cavv_key,
            fingerprint,
        }
    }

    /// The CAVV of an authentication (28 base64 characters).
    pub(crate) fn cavv(
        &self,
        pan: &str,
        amount_minor: u64,
        currency: &str,
        ds_trans_id: &str,
        eci: &str,
    ) -> String {
        let input = format!("{pan}|{amount_minor}|{currency}|{ds_trans_id}|{eci}");
        let mac = hmac(&self.cavv, &[input.as_bytes()]);
        STANDARD.encode(&mac[..CAVV_BYTES])
    }

    /// The card's fingerprint (32 hex digits).
    pub(crate) fn fingerprint(&self, pan: &str) -> String {
        let mac = hmac(&self.fingerprint, &[pan.as_bytes()]);
        mac[..FINGERPRINT_BYTES]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cavv_is_28_chars_and_depends_on_every_input() {
        let k = Keys::new([7; 32]);
        let base = k.cavv("4000000000003220", 12_000, "410", "ds", "05");
        assert_eq!(base.len(), 28);
        assert!(base.ends_with('='));
        assert_ne!(base, k.cavv("4000000000003221", 12_000, "410", "ds", "05"));
        assert_ne!(base, k.cavv("4000000000003220", 12_001, "410", "ds", "05"));
        assert_ne!(base, k.cavv("4000000000003220", 12_000, "840", "ds", "05"));
        assert_ne!(base, k.cavv("4000000000003220", 12_000, "410", "dt", "05"));
        assert_ne!(base, k.cavv("4000000000003220", 12_000, "410", "ds", "06"));
        assert_ne!(
            base,
            Keys::new([8; 32]).cavv("4000000000003220", 12_000, "410", "ds", "05")
        );
        assert_eq!(k.fingerprint("4000000000003220").len(), 32);
        assert!(!format!("{k:?}").contains('7'));
    }
}
