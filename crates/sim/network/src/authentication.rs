//! 3-D Secure authentication as the simulated issuer checks it on an authorization (the
//! contract shared with `paygate sim 3ds`, written here independently):
//!
//! - ECI (DE 48.42) 05/06 (Visa and others) or 02/01 (Mastercard) claims an authentication and
//!   then requires the CAVV (48.43) and the dsTransID (48.44);
//! - the CAVV must be base64 (standard, padded) of the first 20 bytes of
//!   HMAC-SHA256(cavv_key, "{DE 2}|{DE 4 as a number}|{DE 49}|{48.44}|{48.42}");
//! - a dsTransID already used by a verified authorization is a replay (checked by the caller,
//!   against the store).
//!
//! Without a CAVV key every such claim fails. The comparison runs in constant time.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::wire::de48::AdditionalData;

/// The 32-byte key shared with the ACS simulator; `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct CavvKey([u8; 32]);

impl CavvKey {
    /// Wraps a key (e.g. from `paygate_sim_kit::key_file::read_key32`).
    pub fn new(key: [u8; 32]) -> CavvKey {
        CavvKey(key)
    }
}

impl fmt::Debug for CavvKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CavvKey(..)")
    }
}

/// What the issuer concluded about an authorization's authentication (journaled).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Authentication {
    /// A 3-D Secure payment whose CAVV verified (and was not used before).
    Verified,
    /// A 3-D Secure payment (ECI 05/06/02/01) with a missing, forged or replayed CAVV.
    Failed,
    /// No authentication claimed (no ECI, or ECI 07).
    #[default]
    None,
}

impl Authentication {
    /// The store's name.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Authentication::Verified => "verified",
            Authentication::Failed => "failed",
            Authentication::None => "none",
        }
    }

    /// Reads the store's name (anything else reads as `None`).
    pub(crate) fn parse(s: &str) -> Authentication {
        match s {
            "verified" => Authentication::Verified,
            "failed" => Authentication::Failed,
            _ => Authentication::None,
        }
    }
}

/// The program that produced an authorization's ECI and CAVV (DE 48.45, journaled as
/// `authentication_program`). Both are checked the same way: the CAVV formula binds the
/// transaction id in DE 48.44, used once.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Program {
    /// EMV 3-D Secure: no DE 48.45.
    ThreeDSecure,
    /// ISP: DE 48.45 = "isp", the transaction id is the ISP server's.
    Isp,
}

impl Program {
    /// The store's and DE 48.45's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Program::ThreeDSecure => "three_d_secure",
            Program::Isp => "isp",
        }
    }

    /// DE 48.45 as received (`None` = 3-D Secure); `None` for a program the issuer does not
    /// know (then the authorization's authentication cannot hold).
    pub(crate) fn from_de48(value: Option<&str>) -> Option<Program> {
        match value {
            None => Some(Program::ThreeDSecure),
            Some("isp") => Some(Program::Isp),
            Some(_) => None,
        }
    }

    /// Reads the store's name.
    pub(crate) fn parse(s: &str) -> Option<Program> {
        match s {
            "three_d_secure" => Some(Program::ThreeDSecure),
            "isp" => Some(Program::Isp),
            _ => None,
        }
    }
}

/// ECIs that claim a 3-D Secure authentication: Visa and others 05 (authenticated) and 06
/// (attempted), Mastercard 02 and 01.
const AUTHENTICATED_ECIS: [&str; 4] = ["05", "06", "02", "01"];

/// The check of one authorization, before the replay check.
pub(crate) fn check(
    key: Option<&CavvKey>,
    pan: &str,
    amount_minor: i64,
    currency: u16,
    subs: &AdditionalData<'_>,
) -> Authentication {
    let Some(eci) = subs.eci.filter(|e| AUTHENTICATED_ECIS.contains(e)) else {
        return Authentication::None;
    };
    if Program::from_de48(subs.program).is_none() {
        return Authentication::Failed;
    }
    let (Some(key), Some(cavv), Some(ds_trans_id)) = (key, subs.cavv, subs.ds_trans_id) else {
        return Authentication::Failed;
    };
    let input = format!("{pan}|{amount_minor}|{currency:03}|{ds_trans_id}|{eci}");
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&key.0).expect("any key length");
    mac.update(input.as_bytes());
    let expected = STANDARD.encode(&mac.finalize().into_bytes()[..20]);
    if bool::from(expected.as_bytes().ct_eq(cavv.as_bytes())) {
        Authentication::Verified
    } else {
        Authentication::Failed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subs<'a>(
        eci: Option<&'a str>,
        cavv: Option<&'a str>,
        ds: Option<&'a str>,
    ) -> AdditionalData<'a> {
        AdditionalData {
            eci,
            cavv,
            ds_trans_id: ds,
            ..AdditionalData::default()
        }
    }

    #[test]
    fn only_authenticated_ecis_need_a_cavv_and_a_key() {
        let key = CavvKey::new([1; 32]);
        let ds = "8a880dc0-d2d2-4067-bcb1-b08d1690b26e";
        let none = check(
            Some(&key),
            "4242424242424242",
            100,
            410,
            &subs(None, None, None),
        );
        assert_eq!(none, Authentication::None);
        let attempt = check(
            Some(&key),
            "4242424242424242",
            100,
            410,
            &subs(Some("07"), None, None),
        );
        assert_eq!(attempt, Authentication::None);
        let bare = check(
            Some(&key),
            "4242424242424242",
            100,
            410,
            &subs(Some("05"), None, Some(ds)),
        );
        assert_eq!(bare, Authentication::Failed);
        let forged = "AAAAAAAAAAAAAAAAAAAAAAAAAAA=";
        let s = subs(Some("05"), Some(forged), Some(ds));
        assert_eq!(
            check(Some(&key), "4242424242424242", 100, 410, &s),
            Authentication::Failed
        );
        assert_eq!(
            check(None, "4242424242424242", 100, 410, &s),
            Authentication::Failed
        );
        assert_eq!(format!("{key:?}"), "CavvKey(..)");
    }
}
