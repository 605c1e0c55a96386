//! One-time codes sent by SMS (the 간편결제 wallet's phone check; carrier billing reuses it):
//! 6 digits, kept only as a keyed hash ([`paygate_vault::Vault::keyed_hash`] under the
//! configured fingerprint key), valid [`OTP_TTL_S`] seconds, dead after [`OTP_WRONG_MAX`]
//! wrong answers, and a new code for the same subject no sooner than [`OTP_RESEND_AFTER_S`].
//!
//! This module is the rule only: a [`Challenge`] is a value the caller stores with its own
//! object (the wallet flow keeps it in the PaymentIntent's page state) and sends with
//! [`crate::sms`]. The code itself exists only in the SMS and in the payer's answer.

use paygate_vault::Vault;
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

/// Seconds a code is valid.
pub const OTP_TTL_S: i64 = 180;
/// Wrong answers after which a code is dead.
pub const OTP_WRONG_MAX: u32 = 5;
/// Seconds before another code may be sent for the same subject.
pub const OTP_RESEND_AFTER_S: i64 = 30;
/// Digits of a code.
pub const OTP_DIGITS: usize = 6;
/// The keyed-hash purpose of codes.
const PURPOSE: &str = "otp.v1";

/// A code sent, as stored: its keyed hash bound to the subject, never the code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Challenge {
    /// `otp_…`.
    pub id: String,
    /// Keyed hash of `subject | id | code`.
    pub code_hash: String,
    /// Unix seconds it was sent.
    pub sent_at: i64,
    /// Unix seconds after which it is refused.
    pub expires_at: i64,
    /// Wrong answers so far.
    pub wrong: u32,
    /// Answered correctly (a code is good once).
    pub used: bool,
}

/// Why an answer was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum OtpError {
    #[error("the code must be 6 digits")]
    Malformed,
    #[error("the code is wrong")]
    Wrong { remaining: u32 },
    #[error("the code has expired")]
    Expired,
    #[error("too many wrong codes: the code is no longer valid")]
    Exhausted,
    #[error("the code was already used")]
    Used,
    #[error("a code was sent moments ago")]
    TooSoon { retry_after_s: i64 },
}

impl OtpError {
    /// Stable code for errors and the audit trail.
    pub fn code(self) -> &'static str {
        match self {
            OtpError::Malformed => "otp_malformed",
            OtpError::Wrong { .. } => "otp_incorrect",
            OtpError::Expired => "otp_expired",
            OtpError::Exhausted => "otp_attempts_exceeded",
            OtpError::Used => "otp_used",
            OtpError::TooSoon { .. } => "otp_resend_too_soon",
        }
    }
}

fn hash(vault: &Vault, subject: &str, id: &str, code: &str) -> String {
    vault.keyed_hash(PURPOSE, format!("{subject}\0{id}\0{code}").as_bytes())
}

/// A fresh random 6-digit code (uniform: rejection sampling over `u32`).
fn random_code() -> String {
    loop {
        let mut b = [0u8; 4];
        getrandom::fill(&mut b).expect("the OS random source failed");
        let n = u32::from_le_bytes(b);
        // 4_294_000_000 is the largest multiple of 10^6 below 2^32.
        if n < 4_294_000_000 {
            return format!("{:06}", n % 1_000_000);
        }
    }
}

/// Whether a new code may be sent now after `last` (the previous challenge of the subject).
pub fn may_send(last: Option<&Challenge>, now: i64) -> Result<(), OtpError> {
    match last {
        Some(c) if !c.used && now < c.sent_at + OTP_RESEND_AFTER_S => Err(OtpError::TooSoon {
            retry_after_s: c.sent_at + OTP_RESEND_AFTER_S - now,
        }),
        _ => Ok(()),
    }
}

/// A new challenge for `subject` (e.g. the PaymentIntent and the phone's key): the code to
/// send and what to store.
pub fn issue(vault: &Vault, subject: &str, now: i64) -> (String, Challenge) {
    let code = random_code();
    let id = crate::ids::new_id("otp");
    let c = Challenge {
        code_hash: hash(vault, subject, &id, &code),
        id,
        sent_at: now,
        expires_at: now + OTP_TTL_S,
        wrong: 0,
        used: false,
    };
    (code, c)
}

impl Challenge {
    /// Checks `answer`; a wrong one counts (store the challenge again either way).
    pub fn verify(
        &mut self,
        vault: &Vault,
        subject: &str,
        answer: &str,
        now: i64,
    ) -> Result<(), OtpError> {
        if self.used {
            return Err(OtpError::Used);
        }
        if self.wrong >= OTP_WRONG_MAX {
            return Err(OtpError::Exhausted);
        }
        if now > self.expires_at {
            return Err(OtpError::Expired);
        }
        let answer = answer.trim();
        if answer.len() != OTP_DIGITS || !answer.bytes().all(|b| b.is_ascii_digit()) {
            return Err(OtpError::Malformed);
        }
        let got = hash(vault, subject, &self.id, answer);
        if bool::from(got.as_bytes().ct_eq(self.code_hash.as_bytes())) {
            self.used = true;
            return Ok(());
        }
        self.wrong += 1;
        if self.wrong >= OTP_WRONG_MAX {
            return Err(OtpError::Exhausted);
        }
        Err(OtpError::Wrong {
            remaining: OTP_WRONG_MAX - self.wrong,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vault() -> Vault {
        let kek = paygate_vault::Kek::new("k1", [7; 32]).unwrap();
        let ring = paygate_vault::KeyRing::from_keks("k1", vec![kek]).unwrap();
        Vault::new(ring, paygate_vault::Secret::new(vec![9; 32]))
    }

    #[test]
    fn a_code_is_good_once_within_three_minutes() {
        let v = vault();
        let (code, mut c) = issue(&v, "pi_1|p", 1000);
        assert_eq!(code.len(), 6);
        assert!(!c.code_hash.contains(&code));
        assert_eq!(
            c.verify(&v, "pi_2|p", &code, 1001),
            Err(OtpError::Wrong { remaining: 4 })
        );
        assert_eq!(c.verify(&v, "pi_1|p", &code, 1000 + OTP_TTL_S), Ok(()));
        assert_eq!(c.verify(&v, "pi_1|p", &code, 1001), Err(OtpError::Used));
        let (code, mut c) = issue(&v, "s", 1000);
        assert_eq!(
            c.verify(&v, "s", &code, 1000 + OTP_TTL_S + 1),
            Err(OtpError::Expired)
        );
    }

    #[test]
    fn five_wrong_codes_kill_it_and_resend_waits() {
        let v = vault();
        let (code, mut c) = issue(&v, "s", 0);
        let wrong = if code == "000000" { "111111" } else { "000000" };
        for n in 1..OTP_WRONG_MAX {
            assert_eq!(
                c.verify(&v, "s", wrong, 1),
                Err(OtpError::Wrong { remaining: 5 - n })
            );
        }
        assert_eq!(c.verify(&v, "s", wrong, 1), Err(OtpError::Exhausted));
        assert_eq!(c.verify(&v, "s", &code, 1), Err(OtpError::Exhausted));
        assert_eq!(c.verify(&v, "s", "12ab56", 1), Err(OtpError::Exhausted));
        assert_eq!(
            may_send(Some(&c), 10),
            Err(OtpError::TooSoon { retry_after_s: 20 })
        );
        assert_eq!(may_send(Some(&c), 30), Ok(()));
        assert_eq!(may_send(None, 0), Ok(()));
    }
}
