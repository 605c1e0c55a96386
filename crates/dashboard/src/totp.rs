//! Time-based one-time passwords (RFC 6238 over RFC 4226's HOTP, HMAC-SHA-1, 30-second steps,
//! 6 digits: what every authenticator app implements), the enrolment URI
//! (`otpauth://totp/…`) and its QR code as SVG.
//!
//! Base32 (RFC 4648, no padding) is written here: the only use is the 20-byte secret in the
//! enrolment URI, about 20 lines, not worth a dependency.

use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// Seconds per step (RFC 6238's default X).
pub const STEP_S: i64 = 30;
/// Digits of a code.
pub const DIGITS: u32 = 6;
/// Bytes of a new secret (160 bits, RFC 4226's recommendation).
pub const SECRET_BYTES: usize = 20;
/// Steps before and after now that are still accepted (clock drift of the phone).
const WINDOW: i64 = 1;

/// A TOTP shared secret. Never logged (no `Debug` of the bytes).
#[derive(Clone)]
pub struct TotpSecret(Zeroizing<Vec<u8>>);

impl std::fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpSecret(..)")
    }
}

impl TotpSecret {
    /// A fresh random secret.
    pub fn generate() -> TotpSecret {
        let mut b = vec![0u8; SECRET_BYTES];
        getrandom::fill(&mut b).expect("the operating system's random source works");
        TotpSecret(Zeroizing::new(b))
    }

    pub fn from_bytes(b: Vec<u8>) -> TotpSecret {
        TotpSecret(Zeroizing::new(b))
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The secret in base32 without padding, as authenticator apps take it.
    pub fn base32(&self) -> Zeroizing<String> {
        Zeroizing::new(base32(&self.0))
    }
}

/// HOTP (RFC 4226 §5.3) of `counter` with `digits` digits.
pub fn hotp(secret: &[u8], counter: u64, digits: u32) -> String {
    let mut mac =
        <Hmac<Sha1> as KeyInit>::new_from_slice(secret).expect("HMAC takes a key of any length");
    mac.update(&counter.to_be_bytes());
    let h = mac.finalize().into_bytes();
    let off = (h[h.len() - 1] & 0x0f) as usize;
    let bin = u32::from_be_bytes([h[off] & 0x7f, h[off + 1], h[off + 2], h[off + 3]]);
    let code = bin % 10u32.pow(digits);
    format!("{code:0width$}", width = digits as usize)
}

/// The step number of unix time `t`.
pub fn step_of(t: i64) -> i64 {
    t.div_euclid(STEP_S)
}

/// The code of step `step`.
pub fn code_at(secret: &TotpSecret, step: i64) -> String {
    hotp(secret.as_bytes(), step.max(0) as u64, DIGITS)
}

/// Checks `code` at unix time `now` within ±1 step, refusing any step at or before
/// `last_used_step` (a code is good once). Returns the step it matched.
pub fn verify(
    secret: &TotpSecret,
    code: &str,
    now: i64,
    last_used_step: Option<i64>,
) -> Option<i64> {
    let code = code.trim();
    if code.len() != DIGITS as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let now_step = step_of(now);
    let mut found = None;
    // Every candidate is compared (constant time each), so timing does not tell which matched.
    for step in now_step - WINDOW..=now_step + WINDOW {
        let ok: bool = code_at(secret, step)
            .as_bytes()
            .ct_eq(code.as_bytes())
            .into();
        if ok && last_used_step.is_none_or(|l| step > l) && found.is_none() {
            found = Some(step);
        }
    }
    found
}

/// The enrolment URI (Google Authenticator's key URI format).
pub fn otpauth_uri(secret: &TotpSecret, issuer: &str, account: &str) -> Zeroizing<String> {
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    Zeroizing::new(format!(
        "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP_S}",
        enc(issuer),
        enc(account),
        secret.base32().as_str(),
        enc(issuer)
    ))
}

/// The QR code of `uri` as an SVG document (black modules on white, quiet zone included).
pub fn qr_svg(uri: &str) -> Result<String, String> {
    let code = qrcode::QrCode::new(uri.as_bytes()).map_err(|e| e.to_string())?;
    Ok(code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .build())
}

const B32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// RFC 4648 base32, no padding.
pub fn base32(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(5) * 8);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &b in data {
        acc = (acc << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(B32[((acc >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(B32[((acc << (5 - bits)) & 31) as usize] as char);
    }
    out
}

/// Decodes RFC 4648 base32 (padding and case ignored); `None` on any other character.
pub fn base32_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in text.trim_end_matches('=').bytes() {
        let v = B32.iter().position(|&x| x == c.to_ascii_uppercase())? as u32;
        acc = (acc << 5) | v;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B, the SHA-1 rows (seed "12345678901234567890", 8 digits).
    #[test]
    fn rfc6238_appendix_b_sha1_vectors() {
        let seed = b"12345678901234567890";
        for (t, want) in [
            (59i64, "94287082"),
            (1111111109, "07081804"),
            (1111111111, "14050471"),
            (1234567890, "89005924"),
            (2000000000, "69279037"),
            (20000000000, "65353130"),
        ] {
            assert_eq!(hotp(seed, step_of(t) as u64, 8), want, "T = {t}");
        }
    }

    /// RFC 4226 appendix D (6 digits, counters 0..9).
    #[test]
    fn rfc4226_appendix_d_vectors() {
        let want = [
            "755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583",
            "399871", "520489",
        ];
        for (c, w) in want.iter().enumerate() {
            assert_eq!(hotp(b"12345678901234567890", c as u64, 6), *w);
        }
    }

    #[test]
    fn verify_accepts_one_step_of_drift_and_each_step_once() {
        let s = TotpSecret::from_bytes(b"12345678901234567890".to_vec());
        let now = 1_700_000_000;
        let code = code_at(&s, step_of(now) - 1);
        assert_eq!(verify(&s, &code, now, None), Some(step_of(now) - 1));
        assert_eq!(verify(&s, &code, now, Some(step_of(now) - 1)), None);
        assert_eq!(verify(&s, &code_at(&s, step_of(now) - 2), now, None), None);
        assert_eq!(verify(&s, "12345", now, None), None);
        assert_eq!(verify(&s, "abcdef", now, None), None);
    }

    #[test]
    fn base32_round_trips_rfc4648_vectors() {
        for (raw, enc) in [
            ("", ""),
            ("f", "MY"),
            ("fo", "MZXQ"),
            ("foo", "MZXW6"),
            ("foob", "MZXW6YQ"),
            ("fooba", "MZXW6YTB"),
            ("foobar", "MZXW6YTBOI"),
        ] {
            assert_eq!(base32(raw.as_bytes()), enc);
            assert_eq!(base32_decode(enc).unwrap(), raw.as_bytes());
        }
        assert!(base32_decode("MZ1").is_none());
    }

    #[test]
    fn enrolment_uri_and_qr() {
        let s = TotpSecret::from_bytes(b"12345678901234567890".to_vec());
        let uri = otpauth_uri(&s, "paygate", "a@b.example");
        assert_eq!(
            uri.as_str(),
            "otpauth://totp/paygate:a%40b.example?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\
             &issuer=paygate&algorithm=SHA1&digits=6&period=30"
        );
        let svg = qr_svg(&uri).unwrap();
        assert!(svg.contains("<svg") && svg.contains("</svg>"));
    }
}
