//! The MST track 2 with dynamic data, as paygate's terminal simulator sends it in DE 35 and the
//! issuer simulator checks it.
//!
//! ```text
//! PAN = YYMM SSS AAAAA CCCCC UUU
//!  |     |    |    |     |    └ unpredictable number chosen by the phone, 3 digits (000–999)
//!  |     |    |    |     └ CVC3, 5 digits (the 16-bit value, zero-padded)
//!  |     |    |    └ ATC, 5 digits (the 16-bit counter, zero-padded)
//!  |     |    └ service code
//!  |     └ token expiry
//!  └ token PAN (DPAN), 12 to 16 digits
//! ```
//!
//! The 13 digits of discretionary data fill track 2 to its 37-character limit with a 16-digit
//! PAN. The CVC3 covers the track template (`PAN D YYMM SSS` then 13 zero digits, padded with
//! `F` to whole bytes), the UN (as 8 BCD digits) and the ATC — so a changed PAN, expiry or
//! service code, counter or number fails the check, and the issuer refuses a counter it has
//! already seen.

use crate::EmvError;

/// A parsed MST track 2. `Debug` masks the PAN.
#[derive(Clone, PartialEq, Eq)]
pub struct MstTrack2 {
    pub pan: String,
    pub expiry_yymm: String,
    pub service_code: String,
    pub atc: u16,
    pub cvc3: u16,
    pub un: u16,
}

const DISCRETIONARY_DIGITS: usize = 13;

fn digits(text: &str, len: usize, what: &'static str) -> Result<(), EmvError> {
    if text.len() == len && text.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(EmvError::invalid(
            what,
            "has the wrong length or a non-digit",
        ))
    }
}

impl MstTrack2 {
    /// Parses the DE 35 text (no sentinels, no LRC).
    pub fn parse(text: &str) -> Result<MstTrack2, EmvError> {
        let (pan, rest) = text
            .split_once('=')
            .ok_or(EmvError::invalid("track 2", "has no '=' separator"))?;
        if !(12..=16).contains(&pan.len()) || !pan.bytes().all(|b| b.is_ascii_digit()) {
            return Err(EmvError::invalid("track 2 PAN", "must be 12 to 16 digits"));
        }
        digits(
            rest,
            7 + DISCRETIONARY_DIGITS,
            "track 2 after the separator",
        )?;
        let number =
            |range: std::ops::Range<usize>| -> u32 { rest[range].parse().expect("checked digits") };
        let atc = u16::try_from(number(7..12))
            .map_err(|_| EmvError::invalid("track 2 ATC", "must be at most 65535"))?;
        let cvc3 = u16::try_from(number(12..17))
            .map_err(|_| EmvError::invalid("track 2 CVC3", "must be at most 65535"))?;
        Ok(MstTrack2 {
            pan: pan.to_owned(),
            expiry_yymm: rest[..4].to_owned(),
            service_code: rest[4..7].to_owned(),
            atc,
            cvc3,
            un: number(17..20) as u16,
        })
    }

    /// The DE 35 text.
    pub fn encode(&self) -> String {
        format!(
            "{}={}{}{:05}{:05}{:03}",
            self.pan, self.expiry_yymm, self.service_code, self.atc, self.cvc3, self.un
        )
    }

    /// The static track data the CVC3 covers: `PAN D YYMM SSS 0000000000000`, `F`-padded.
    pub fn template(&self) -> Vec<u8> {
        let mut nibbles = format!(
            "{}D{}{}{}",
            self.pan,
            self.expiry_yymm,
            self.service_code,
            "0".repeat(DISCRETIONARY_DIGITS)
        );
        if nibbles.len() % 2 == 1 {
            nibbles.push('F');
        }
        hex::decode(nibbles).expect("digits and D/F are hex")
    }

    /// The unpredictable number as the 4 bytes (8 BCD digits) the CVC3 covers.
    pub fn un_bytes(&self) -> [u8; 4] {
        let mut out = [0u8; 4];
        hex::decode_to_slice(format!("{:08}", self.un), &mut out).expect("8 digits are hex");
        out
    }
}

impl std::fmt::Debug for MstTrack2 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let last4 = &self.pan[self.pan.len().saturating_sub(4)..];
        f.debug_struct("MstTrack2")
            .field("pan", &format_args!("****{last4}"))
            .field("atc", &self.atc)
            .finish_non_exhaustive()
    }
}
