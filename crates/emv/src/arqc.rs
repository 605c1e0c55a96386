//! The authorization request cryptogram: its input as read from DE 55, Visa CVN 18, and the
//! issuer's answer (ARPC method 2).

use crate::EmvError;
use crate::derive::{common_session_key, icc_master_key_option_a};
use crate::key::DoubleKey;
use crate::mac::{Padding, mac_alg3};

/// The tags the ARQC is computed over, in CDOL1 order, with their fixed lengths; the issuer
/// application data (9F10) follows with its own length (1 to 32 bytes).
pub const CDOL1_TAGS: [(&[u8], &str, usize); 10] = [
    (&[0x9F, 0x02], "9F02 amount authorised", 6),
    (&[0x9F, 0x03], "9F03 amount other", 6),
    (&[0x9F, 0x1A], "9F1A terminal country code", 2),
    (&[0x95], "95 terminal verification results", 5),
    (&[0x5F, 0x2A], "5F2A transaction currency code", 2),
    (&[0x9A], "9A transaction date", 3),
    (&[0x9C], "9C transaction type", 1),
    (&[0x9F, 0x37], "9F37 unpredictable number", 4),
    (&[0x82], "82 application interchange profile", 2),
    (&[0x9F, 0x36], "9F36 application transaction counter", 2),
];

/// Tag of the issuer application data.
pub const IAD_TAG: &[u8] = &[0x9F, 0x10];

/// The data a Visa CVN 18 ARQC covers: the CDOL1 values in order, then the full IAD.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArqcData {
    cdol1: Vec<u8>,
    atc: u16,
    iad: Vec<u8>,
}

impl ArqcData {
    /// Reads the values from a tag lookup (e.g. over the TLVs of DE 55); a missing tag or a
    /// value of the wrong length is refused by name.
    pub fn from_tags<'a>(lookup: impl Fn(&[u8]) -> Option<&'a [u8]>) -> Result<ArqcData, EmvError> {
        let mut cdol1 = Vec::with_capacity(33);
        for (tag, name, len) in CDOL1_TAGS {
            let value = lookup(tag).ok_or(EmvError::invalid(name, "is required"))?;
            if value.len() != len {
                return Err(EmvError::invalid(name, "has the wrong length"));
            }
            cdol1.extend_from_slice(value);
        }
        let iad = lookup(IAD_TAG).ok_or(EmvError::invalid(
            "9F10 issuer application data",
            "is required",
        ))?;
        if iad.is_empty() || iad.len() > 32 {
            return Err(EmvError::invalid(
                "9F10 issuer application data",
                "must be 1 to 32 bytes",
            ));
        }
        let atc = u16::from_be_bytes([cdol1[31], cdol1[32]]);
        Ok(ArqcData {
            cdol1,
            atc,
            iad: iad.to_vec(),
        })
    }

    /// The application transaction counter (9F36).
    pub fn atc(&self) -> u16 {
        self.atc
    }

    /// CDOL1 data || IAD, the MAC input of CVN 18.
    pub fn mac_input(&self) -> Vec<u8> {
        [self.cdol1.as_slice(), self.iad.as_slice()].concat()
    }
}

/// The Visa CVN 18 AC session key: the ICC master key (option A) from the issuer's IMK-AC, then
/// the common session key with `R = ATC || 00 00 00 00 00 00`.
pub fn visa_cvn18_session_key(
    imk_ac: &DoubleKey,
    pan: &str,
    psn: &str,
    atc: u16,
) -> Result<DoubleKey, EmvError> {
    let icc_mk = icc_master_key_option_a(imk_ac, pan, psn)?;
    let mut r = [0u8; 8];
    r[..2].copy_from_slice(&atc.to_be_bytes());
    Ok(common_session_key(&icc_mk, r))
}

/// The Visa CVN 18 ARQC: ISO 9797-1 MAC algorithm 3, padding method 2, under the session key.
pub fn visa_cvn18_arqc(session_key: &DoubleKey, data: &ArqcData) -> [u8; 8] {
    mac_alg3(session_key, &data.mac_input(), Padding::Iso9797Method2)
}

/// ARPC method 2: the first 4 bytes of MAC algorithm 3 (padding method 2) over ARQC || CSU.
pub fn arpc_method2(session_key: &DoubleKey, arqc: [u8; 8], csu: [u8; 4]) -> [u8; 4] {
    let input = [arqc.as_slice(), csu.as_slice()].concat();
    let mac = mac_alg3(session_key, &input, Padding::Iso9797Method2);
    [mac[0], mac[1], mac[2], mac[3]]
}
