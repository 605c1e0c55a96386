//! Primary and secondary bitmaps: 64 bits each, bit 1 = most significant bit of the first byte.
//! In the primary bitmap bit 1 means "secondary bitmap follows"; bit `n` of the secondary bitmap
//! stands for DE `64 + n`.

use crate::error::{DecodeError, DecodeRule, FieldId};
use crate::reader::Reader;
use crate::spec::{Enc, FieldSpec};

/// One 64-bit bitmap as 8 bytes, most significant first.
pub(crate) type Bitmap = [u8; 8];

/// Bytes of a bitmap in raw form; pyiso8583 ignores `max_len` here and so do we.
const RAW_BYTES: usize = 8;
/// Characters of a bitmap in hex form (ASCII profile).
const HEX_CHARS: usize = 16;

/// Whether bit `bit` (1..=64) is set.
pub(crate) fn is_set(bitmap: &Bitmap, bit: u8) -> bool {
    let Some(index) = bit.checked_sub(1) else {
        return false;
    };
    bitmap
        .get(usize::from(index / 8))
        .is_some_and(|byte| byte & (0x80 >> (index % 8)) != 0)
}

/// Sets bit `bit` (1..=64); other values are ignored (callers pass checked field numbers).
pub(crate) fn set(bitmap: &mut Bitmap, bit: u8) {
    let Some(index) = bit.checked_sub(1) else {
        return;
    };
    if let Some(byte) = bitmap.get_mut(usize::from(index / 8)) {
        *byte |= 0x80 >> (index % 8);
    }
}

/// Appends `bitmap` as 8 raw bytes or as 16 uppercase hex characters (what pyiso8583 emits).
pub(crate) fn write(out: &mut Vec<u8>, bitmap: &Bitmap, spec: &FieldSpec) {
    const HEX_DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    match spec.data_enc {
        Enc::Binary => out.extend_from_slice(bitmap),
        Enc::Ascii => {
            for byte in bitmap {
                out.push(HEX_DIGITS[usize::from(byte >> 4)]);
                out.push(HEX_DIGITS[usize::from(byte & 0x0f)]);
            }
        }
    }
}

/// Reads one bitmap. Hex digits may be upper or lower case, as pyiso8583 accepts both.
pub(crate) fn read(
    r: &mut Reader<'_>,
    spec: &FieldSpec,
    id: FieldId,
) -> Result<Bitmap, DecodeError> {
    match spec.data_enc {
        Enc::Binary => {
            let mut bitmap = [0u8; RAW_BYTES];
            bitmap.copy_from_slice(r.take(RAW_BYTES, id)?);
            Ok(bitmap)
        }
        Enc::Ascii => {
            let text = r.take(HEX_CHARS, id)?;
            parse_hex(text).ok_or(DecodeError::Field {
                field: id,
                rule: DecodeRule::BitmapNotHex,
            })
        }
    }
}

fn parse_hex(text: &[u8]) -> Option<Bitmap> {
    let mut bitmap = [0u8; RAW_BYTES];
    for (byte, pair) in bitmap.iter_mut().zip(text.chunks_exact(2)) {
        let [hi, lo] = pair else { return None };
        *byte = (hex_value(*hi)? << 4) | hex_value(*lo)?;
    }
    Some(bitmap)
}

fn hex_value(c: u8) -> Option<u8> {
    char::from(c)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Profile;

    #[test]
    fn bit_one_is_the_most_significant_bit_of_the_first_byte() {
        let mut b = Bitmap::default();
        for bit in [1, 9, 64] {
            set(&mut b, bit);
        }
        assert_eq!(b, [0x80, 0x80, 0, 0, 0, 0, 0, 0x01]);
        assert!(is_set(&b, 1) && is_set(&b, 9) && is_set(&b, 64));
        assert!(!is_set(&b, 2) && !is_set(&b, 0) && !is_set(&b, 65));
        set(&mut b, 0);
        set(&mut b, 65);
        assert_eq!(b, [0x80, 0x80, 0, 0, 0, 0, 0, 0x01]);
    }

    #[test]
    fn hex_bitmaps_are_written_upper_case_and_read_in_either_case() {
        let spec = Profile::Ascii.spec().primary_bitmap();
        let b: Bitmap = [0x70, 0x24, 0x04, 0, 0, 0, 0x80, 0xab];
        let mut out = Vec::new();
        write(&mut out, &b, spec);
        assert_eq!(out, b"70240400000080AB");
        for text in [&b"70240400000080AB"[..], b"70240400000080ab"] {
            assert_eq!(
                read(&mut Reader::new(text), spec, FieldId::PrimaryBitmap),
                Ok(b)
            );
        }
        for bad in [
            &b"7024040000008 AB"[..],
            b"+0240400000080AB",
            b"70240400000080AG",
        ] {
            assert_eq!(
                read(&mut Reader::new(bad), spec, FieldId::PrimaryBitmap),
                Err(DecodeError::Field {
                    field: FieldId::PrimaryBitmap,
                    rule: DecodeRule::BitmapNotHex
                })
            );
        }
    }
}
