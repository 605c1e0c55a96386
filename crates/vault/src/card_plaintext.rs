//! The plaintext of a sealed card: what the vault encrypts under a record's DEK
//! ([`crate::envelope`]).
//!
//! Card plaintext, version 1 (at most 24 bytes): `0x01 ‖ n ‖ n ASCII PAN digits ‖ month ‖
//! year (u16 big-endian)`.

use zeroize::Zeroizing;

use crate::card::{Expiry, Pan};
use crate::error::VaultError;

const CARD_FORMAT_V1: u8 = 1;

/// Card data as the vault stores it. The CVC is deliberately absent: it is never stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CardData {
    /// The card number.
    pub pan: Pan,
    /// The expiry.
    pub expiry: Expiry,
}

/// Card plaintext v1 (see the module docs).
pub(crate) fn encode_card(card: &CardData) -> Zeroizing<Vec<u8>> {
    let digits = card.pan.expose().as_bytes();
    let mut out = Zeroizing::new(Vec::with_capacity(2 + digits.len() + 3));
    out.push(CARD_FORMAT_V1);
    // A Pan has at most 19 digits, so its length fits a byte.
    out.push(digits.len() as u8);
    out.extend_from_slice(digits);
    out.push(card.expiry.month);
    out.extend_from_slice(&card.expiry.year.to_be_bytes());
    out
}

/// The card data of a plaintext; anything but a well-formed v1 record with a valid PAN and
/// expiry is [`VaultError::CorruptPlaintext`].
pub(crate) fn decode_card(plain: &[u8]) -> Result<CardData, VaultError> {
    let [version, len, rest @ ..] = plain else {
        return Err(VaultError::CorruptPlaintext);
    };
    let len = usize::from(*len);
    if *version != CARD_FORMAT_V1 || rest.len() != len + 3 {
        return Err(VaultError::CorruptPlaintext);
    }
    let (digits, tail) = rest.split_at(len);
    let digits = std::str::from_utf8(digits).map_err(|_| VaultError::CorruptPlaintext)?;
    // Re-parsing re-checks every Pan rule: a decoded record is as valid as a fresh one.
    let pan = Pan::parse(digits).map_err(|_| VaultError::CorruptPlaintext)?;
    let year = u16::from_be_bytes([tail[1], tail[2]]);
    let expiry = Expiry::new(i64::from(tail[0]), i64::from(year))
        .map_err(|_| VaultError::CorruptPlaintext)?;
    Ok(CardData { pan, expiry })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card() -> CardData {
        CardData {
            pan: Pan::parse("4242424242424242").unwrap(),
            expiry: Expiry::new(7, 2029).unwrap(),
        }
    }

    #[test]
    fn card_plaintext_v1_layout_is_version_length_digits_month_year() {
        let plain = encode_card(&card());
        let mut expected = vec![1u8, 16];
        expected.extend_from_slice(b"4242424242424242");
        expected.extend_from_slice(&[7, 0x07, 0xED]); // 2029 = 0x07ED
        assert_eq!(plain.as_slice(), expected.as_slice());
        assert_eq!(decode_card(&plain).unwrap(), card());
    }

    #[test]
    fn decoding_rejects_every_malformed_plaintext() {
        let good = encode_card(&card()).to_vec();
        let mut cases: Vec<Vec<u8>> = vec![vec![], vec![1], good[..good.len() - 1].to_vec()];
        let mut v2 = good.clone();
        v2[0] = 2;
        cases.push(v2);
        let mut bad_luhn = good.clone();
        bad_luhn[17] = b'1';
        cases.push(bad_luhn);
        let mut bad_month = good.clone();
        bad_month[18] = 13;
        cases.push(bad_month);
        let mut long = good.clone();
        long.push(0);
        cases.push(long);
        for (i, c) in cases.iter().enumerate() {
            assert_eq!(
                decode_card(c),
                Err(VaultError::CorruptPlaintext),
                "case {i}"
            );
        }
    }
}
