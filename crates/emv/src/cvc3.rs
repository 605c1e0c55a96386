//! Mastercard CVC3 (the dynamic card verification code of contactless magnetic stripe), which
//! paygate's MST track 2 carries.

use crate::EmvError;
use crate::derive::icc_master_key_option_a;
use crate::key::DoubleKey;
use crate::mac::{Padding, mac_alg3};

/// The card's CVC3 key: the ICC master key (option A) from the issuer's IMK-CVC3.
pub fn icc_cvc3_key(imk_cvc3: &DoubleKey, pan: &str, psn: &str) -> Result<DoubleKey, EmvError> {
    icc_master_key_option_a(imk_cvc3, pan, psn)
}

/// `IVCVC3` = the last 2 bytes of MAC algorithm 3 (padding method 2) over the track template;
/// CVC3 = the last 2 bytes of `3DES(IVCVC3 || UN || ATC)` as an integer.
pub fn cvc3(icc_cvc3_key: &DoubleKey, track_template: &[u8], un: [u8; 4], atc: u16) -> u16 {
    let mac = mac_alg3(icc_cvc3_key, track_template, Padding::Iso9797Method2);
    let mut block = [0u8; 8];
    block[..2].copy_from_slice(&mac[6..]);
    block[2..6].copy_from_slice(&un);
    block[6..].copy_from_slice(&atc.to_be_bytes());
    let out = icc_cvc3_key.encrypt(block);
    u16::from_be_bytes([out[6], out[7]])
}
