//! The wallet's payment PIN: 6 digits, refused when weak (one digit repeated, an ascending or
//! descending run), kept only as an Argon2id hash (PHC string) with a random salt of its own
//! per wallet, checked in constant time by the `argon2` crate.

use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD as B64;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// Digits of a PIN.
pub const PIN_DIGITS: usize = 6;
/// Wrong PINs in a row that lock the wallet (PCI DSS 8.3.4).
pub const PIN_WRONG_MAX: u32 = 5;
/// How long a lock lasts, seconds.
pub const LOCK_S: i64 = 30 * 60;

/// Why a new PIN is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PinRule {
    #[error("the PIN must be exactly 6 digits")]
    NotSixDigits,
    #[error("the PIN must not be one digit repeated")]
    Repeated,
    #[error("the PIN must not be a run of digits (123456, 654321)")]
    Run,
    #[error("the PIN and its confirmation differ")]
    Mismatch,
}

impl PinRule {
    /// Stable code for errors.
    pub fn code(self) -> &'static str {
        match self {
            PinRule::NotSixDigits => "pin_invalid",
            PinRule::Repeated | PinRule::Run => "pin_too_weak",
            PinRule::Mismatch => "pin_mismatch",
        }
    }
}

/// Whether `pin` has the shape of a PIN (6 digits).
pub fn well_formed(pin: &str) -> bool {
    pin.len() == PIN_DIGITS && pin.bytes().all(|b| b.is_ascii_digit())
}

/// Checks a new PIN and its confirmation.
pub fn check_new(pin: &str, confirmation: &str) -> Result<(), PinRule> {
    if !well_formed(pin) {
        return Err(PinRule::NotSixDigits);
    }
    let d: Vec<i16> = pin.bytes().map(|b| i16::from(b - b'0')).collect();
    if d.iter().all(|x| *x == d[0]) {
        return Err(PinRule::Repeated);
    }
    let steps: Vec<i16> = d.windows(2).map(|w| w[1] - w[0]).collect();
    if steps.iter().all(|s| *s == 1) || steps.iter().all(|s| *s == -1) {
        return Err(PinRule::Run);
    }
    if pin != confirmation {
        return Err(PinRule::Mismatch);
    }
    Ok(())
}

/// Argon2id memory (KiB), passes and lanes: OWASP's minimum for Argon2id.
const M_KIB: u32 = 19 * 1024;
const T: u32 = 2;
const P: u32 = 1;
/// The stored form's prefix (PHC style): `$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`.
const PREFIX: &str = "$argon2id$v=19$m=19456,t=2,p=1$";

fn derive(pin: &str, salt: &[u8]) -> Result<Zeroizing<[u8; 32]>, String> {
    let params = Params::new(M_KIB, T, P, Some(32)).map_err(|e| e.to_string())?;
    let mut out = Zeroizing::new([0u8; 32]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(pin.as_bytes(), salt, out.as_mut())
        .map_err(|e| e.to_string())?;
    Ok(out)
}

/// The PHC-style string of `pin` under a fresh random 16-byte salt.
pub fn hash(pin: &str) -> Result<String, String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| e.to_string())?;
    let h = derive(pin, &salt)?;
    Ok(format!(
        "{PREFIX}{}${}",
        B64.encode(salt),
        B64.encode(h.as_ref())
    ))
}

/// Whether `pin` matches the stored string (constant-time comparison of the hashes).
pub fn verify(pin: &str, stored: &str) -> bool {
    let Some(rest) = stored.strip_prefix(PREFIX) else {
        return false;
    };
    let Some((salt, want)) = rest.split_once('$') else {
        return false;
    };
    let (Ok(salt), Ok(want)) = (B64.decode(salt), B64.decode(want)) else {
        return false;
    };
    match derive(pin, &salt) {
        Ok(got) => bool::from(got.as_ref().ct_eq(want.as_slice())),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weak_pins_are_refused_and_a_good_one_hashes_with_its_own_salt() {
        assert_eq!(check_new("12345", "12345"), Err(PinRule::NotSixDigits));
        assert_eq!(check_new("12a456", "12a456"), Err(PinRule::NotSixDigits));
        assert_eq!(check_new("777777", "777777"), Err(PinRule::Repeated));
        assert_eq!(check_new("123456", "123456"), Err(PinRule::Run));
        assert_eq!(check_new("987654", "987654"), Err(PinRule::Run));
        assert_eq!(check_new("258013", "258014"), Err(PinRule::Mismatch));
        assert_eq!(check_new("258013", "258013"), Ok(()));
        let a = hash("258013").unwrap();
        let b = hash("258013").unwrap();
        assert!(a.starts_with("$argon2id$") && a != b && !a.contains("258013"));
        assert!(verify("258013", &a) && !verify("258014", &a));
    }
}
