//! Key derivation: the ICC master key from the issuer's master key (EMV Book 2 A1.4.1, option
//! A) and the common session key (EMV Book 2 A1.3.1).

use crate::EmvError;
use crate::key::DoubleKey;

/// EMV option A: `Y` = the rightmost 16 digits of PAN || PSN (left zero-padded);
/// `MK = 3DES_IMK(Y) || 3DES_IMK(Y xor FF..FF)` with odd parity.
pub fn icc_master_key_option_a(
    issuer_master_key: &DoubleKey,
    pan: &str,
    psn: &str,
) -> Result<DoubleKey, EmvError> {
    if pan.is_empty() || !pan.bytes().all(|b| b.is_ascii_digit()) {
        return Err(EmvError::invalid("pan", "must be decimal digits"));
    }
    if psn.len() != 2 || !psn.bytes().all(|b| b.is_ascii_digit()) {
        return Err(EmvError::invalid("psn", "must be 2 decimal digits"));
    }
    let digits = format!("{pan}{psn}");
    let tail = &digits[digits.len().saturating_sub(16)..];
    let y_text = format!("{tail:0>16}");
    let mut y = [0u8; 8];
    hex::decode_to_slice(&y_text, &mut y).expect("16 decimal digits are hex");
    let left = issuer_master_key.encrypt(y);
    let right = issuer_master_key.encrypt(y.map(|b| b ^ 0xFF));
    Ok(DoubleKey::from_halves(left, right).with_odd_parity())
}

/// The common session key: `SK = 3DES_MK(R with byte 2 := F0) || 3DES_MK(R with byte 2 :=
/// 0F)` with odd parity.
pub fn common_session_key(master_key: &DoubleKey, r: [u8; 8]) -> DoubleKey {
    let mut left_input = r;
    left_input[2] = 0xF0;
    let mut right_input = r;
    right_input[2] = 0x0F;
    DoubleKey::from_halves(
        master_key.encrypt(left_input),
        master_key.encrypt(right_input),
    )
    .with_odd_parity()
}
