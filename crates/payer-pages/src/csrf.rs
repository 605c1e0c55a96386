//! Stateless CSRF tokens for forms that post back to the gateway (a 3-D Secure challenge
//! result, a PIN entry): `HMAC-SHA256(key, purpose | object id | expiry)` with the expiry in
//! clear, checked in constant time. Nothing is stored: the key comes from configuration, and
//! a rotation keeps the previous key accepted until the tokens it signed have expired.
//!
//! Token format: `<expiry unix seconds>.<base64url mac>`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

/// Shortest key accepted (bytes): the HMAC-SHA256 block of security.
pub const CSRF_KEY_BYTES_MIN: usize = 32;
/// Longest token read (bytes); anything longer is malformed without further work.
const TOKEN_LEN_MAX: usize = 96;

/// What a token was issued for; a token for one purpose is refused for any other.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// The payer's browser posting a 3-D Secure challenge result back.
    ThreeDsReturn,
    /// A form on a `/pay/…` page submitted by the payer.
    PayerForm,
    /// The payer's ISP page of one PaymentIntent (`/pay/isp/{pi}?t=…`) and the requests it
    /// makes (encryption key, enrolment, confirm).
    IspPage,
    /// The 간편결제 wallet page of one PaymentIntent (`/pay/easy_pay/{pi}?t=…`) and its forms.
    EasyPayPage,
    /// A device that proved the wallet's phone by SMS: the wallet id, in a cookie.
    EasyPayDevice,
    /// A form of a dashboard session (`/dashboard/…`): the object id is the session's id.
    DashboardForm,
    /// The dashboard's login form, bound to the browser's pre-login cookie.
    DashboardLogin,
    /// The 휴대폰 소액결제 page of one PaymentIntent (`/pay/mobile_carrier/{pi}?t=…`) and its
    /// forms.
    MobileCarrierPage,
    /// The 계좌이체 pages of one PaymentIntent (`/pay/bank_transfer/{pi}?t=…`: the bank
    /// choice, and the return from the bank).
    BankTransferPage,
}

impl Purpose {
    fn label(self) -> &'static str {
        match self {
            Purpose::ThreeDsReturn => "3ds_return",
            Purpose::PayerForm => "payer_form",
            Purpose::IspPage => "isp_page",
            Purpose::EasyPayPage => "easy_pay_page",
            Purpose::EasyPayDevice => "easy_pay_device",
            Purpose::DashboardForm => "dashboard_form",
            Purpose::DashboardLogin => "dashboard_login",
            Purpose::MobileCarrierPage => "mobile_carrier_page",
            Purpose::BankTransferPage => "bank_transfer_page",
        }
    }
}

/// Why a token was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CsrfError {
    #[error("the form token is malformed")]
    Malformed,
    #[error("the form token has expired")]
    Expired,
    #[error("the form token does not match")]
    Mismatch,
}

/// Why a configured key cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CsrfKeyError {
    #[error("pages_csrf_key must be base64: {0}")]
    NotBase64(String),
    #[error("pages_csrf_key must be at least {CSRF_KEY_BYTES_MIN} bytes, got {0}")]
    TooShort(usize),
}

/// The signing key and, during a rotation, the previous one (still accepted, never used to
/// sign). Its `Debug` prints no key material.
#[derive(Clone)]
pub struct CsrfKeys {
    current: Zeroizing<Vec<u8>>,
    previous: Option<Zeroizing<Vec<u8>>>,
}

impl std::fmt::Debug for CsrfKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CsrfKeys")
            .field("current", &"<redacted>")
            .field("previous", &self.previous.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

fn decode_key(b64: &str) -> Result<Zeroizing<Vec<u8>>, CsrfKeyError> {
    let k = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .map_err(|e| CsrfKeyError::NotBase64(e.to_string()))?;
    if k.len() < CSRF_KEY_BYTES_MIN {
        return Err(CsrfKeyError::TooShort(k.len()));
    }
    Ok(Zeroizing::new(k))
}

impl CsrfKeys {
    /// Keys from configuration (base64, ≥ 32 bytes each).
    pub fn from_config(current: &str, previous: Option<&str>) -> Result<CsrfKeys, CsrfKeyError> {
        Ok(CsrfKeys {
            current: decode_key(current)?,
            previous: previous.map(decode_key).transpose()?,
        })
    }

    /// A random key for this process only (test mode): tokens die with the process.
    pub fn generate() -> CsrfKeys {
        let mut k = Zeroizing::new(vec![0u8; CSRF_KEY_BYTES_MIN]);
        getrandom::fill(&mut k).expect("the operating system's random source works");
        CsrfKeys {
            current: k,
            previous: None,
        }
    }

    /// A token for `purpose` on `object_id`, valid until `expires_at` (unix seconds).
    pub fn issue(&self, purpose: Purpose, object_id: &str, expires_at: i64) -> String {
        let mac = sign(&self.current, purpose, object_id, expires_at).finalize();
        format!("{expires_at}.{}", URL_SAFE_NO_PAD.encode(mac.into_bytes()))
    }

    /// Accepts a token issued by [`CsrfKeys::issue`] with the current or the previous key
    /// for the same purpose and object, if `now` is before its expiry.
    pub fn verify(
        &self,
        token: &str,
        purpose: Purpose,
        object_id: &str,
        now: i64,
    ) -> Result<(), CsrfError> {
        if token.len() > TOKEN_LEN_MAX {
            return Err(CsrfError::Malformed);
        }
        let (exp, mac) = token.split_once('.').ok_or(CsrfError::Malformed)?;
        let expires_at: i64 = exp.parse().map_err(|_| CsrfError::Malformed)?;
        let mac = URL_SAFE_NO_PAD
            .decode(mac)
            .map_err(|_| CsrfError::Malformed)?;
        let matches = |key: &[u8]| {
            sign(key, purpose, object_id, expires_at)
                .verify_slice(&mac)
                .is_ok()
        };
        let ok = matches(&self.current) || self.previous.as_deref().is_some_and(|k| matches(k));
        if !ok {
            return Err(CsrfError::Mismatch);
        }
        if now >= expires_at {
            return Err(CsrfError::Expired);
        }
        Ok(())
    }
}

/// The MAC over length-prefixed fields, so no choice of object id can imitate another
/// purpose or expiry.
fn sign(key: &[u8], purpose: Purpose, object_id: &str, expires_at: i64) -> Hmac<Sha256> {
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes keys of any length");
    for part in [purpose.label().as_bytes(), object_id.as_bytes()] {
        mac.update(&(part.len() as u64).to_be_bytes());
        mac.update(part);
    }
    mac.update(&expires_at.to_be_bytes());
    mac
}

#[cfg(test)]
mod tests {
    use super::*;

    const K1: &str = "a2V5LW9uZS1mb3ItdGhlLXBheWVyLXBhZ2VzLWNzcmYtdGVzdHM=";
    const K2: &str = "a2V5LXR3by1mb3ItdGhlLXBheWVyLXBhZ2VzLWNzcmYtdGVzdHM=";
    const NOW: i64 = 1_800_000_000;

    fn keys(cur: &str, prev: Option<&str>) -> CsrfKeys {
        CsrfKeys::from_config(cur, prev).unwrap()
    }

    #[test]
    fn a_token_is_accepted_for_its_purpose_and_object_until_it_expires() {
        let k = keys(K1, None);
        let t = k.issue(Purpose::ThreeDsReturn, "pi_123", NOW + 600);
        assert_eq!(k.verify(&t, Purpose::ThreeDsReturn, "pi_123", NOW), Ok(()));
        assert_eq!(
            k.verify(&t, Purpose::ThreeDsReturn, "pi_123", NOW + 600),
            Err(CsrfError::Expired)
        );
        assert_eq!(
            k.verify(&t, Purpose::PayerForm, "pi_123", NOW),
            Err(CsrfError::Mismatch)
        );
        assert_eq!(
            k.verify(&t, Purpose::ThreeDsReturn, "pi_124", NOW),
            Err(CsrfError::Mismatch)
        );
    }

    #[test]
    fn a_tampered_token_is_refused() {
        let k = keys(K1, None);
        let t = k.issue(Purpose::PayerForm, "pi_1", NOW + 60);
        let (exp, mac) = t.split_once('.').unwrap();
        let later = format!("{}.{mac}", exp.parse::<i64>().unwrap() + 3600);
        assert_eq!(
            k.verify(&later, Purpose::PayerForm, "pi_1", NOW),
            Err(CsrfError::Mismatch)
        );
        let mut flipped = t.clone().into_bytes();
        let last = flipped.len() - 2;
        flipped[last] = if flipped[last] == b'A' { b'B' } else { b'A' };
        let flipped = String::from_utf8(flipped).unwrap();
        assert_eq!(
            k.verify(&flipped, Purpose::PayerForm, "pi_1", NOW),
            Err(CsrfError::Mismatch)
        );
        for bad in ["", "no-dot", "x.AAAA", "123.!!!", &"9".repeat(200)] {
            assert_eq!(
                k.verify(bad, Purpose::PayerForm, "pi_1", NOW),
                Err(CsrfError::Malformed),
                "{bad}"
            );
        }
    }

    #[test]
    fn after_a_rotation_the_previous_key_is_still_accepted_but_no_longer_signs() {
        let old = keys(K1, None);
        let t_old = old.issue(Purpose::PayerForm, "pi_9", NOW + 60);
        let rotated = keys(K2, Some(K1));
        assert_eq!(
            rotated.verify(&t_old, Purpose::PayerForm, "pi_9", NOW),
            Ok(())
        );
        let t_new = rotated.issue(Purpose::PayerForm, "pi_9", NOW + 60);
        assert_eq!(
            old.verify(&t_new, Purpose::PayerForm, "pi_9", NOW),
            Err(CsrfError::Mismatch)
        );
        let dropped = keys(K2, None);
        assert_eq!(
            dropped.verify(&t_old, Purpose::PayerForm, "pi_9", NOW),
            Err(CsrfError::Mismatch)
        );
    }

    #[test]
    fn keys_must_be_base64_of_at_least_32_bytes_and_never_print() {
        assert!(matches!(
            CsrfKeys::from_config("c2hvcnQ=", None),
            Err(CsrfKeyError::TooShort(5))
        ));
        assert!(matches!(
            CsrfKeys::from_config("not base64!", None),
            Err(CsrfKeyError::NotBase64(_))
        ));
        let text = format!("{:?}", keys(K1, Some(K2)));
        assert!(!text.contains(K1) && !text.contains(K2), "{text}");
        let g = CsrfKeys::generate();
        let t = g.issue(Purpose::PayerForm, "x", NOW + 1);
        assert_eq!(g.verify(&t, Purpose::PayerForm, "x", NOW), Ok(()));
    }
}
