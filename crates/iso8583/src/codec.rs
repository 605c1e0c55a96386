//! Whole-message encode and decode: MTI, primary bitmap, optional secondary bitmap (DE 1), then
//! the present data elements in ascending order — the same layout pyiso8583 produces.

use std::collections::BTreeMap;

use crate::bitmap::{self, Bitmap};
use crate::error::{DecodeError, DecodeRule, EncodeError, FieldId};
use crate::field;
use crate::message::Message;
use crate::reader::Reader;
use crate::spec::{FieldSpec, Spec};

/// Largest message, in bytes, that [`encode`] produces and [`decode`] accepts. A single message
/// of the 1987 layout rarely exceeds 2 KiB; the limit bounds the work hostile input can cause.
pub const MAX_MESSAGE_BYTES: usize = 8192;

/// The secondary bitmap and, in the secondary bitmap, pyiso8583's tertiary-bitmap indicator.
const SECONDARY_BITMAP_FIELD: u8 = 1;
const TERTIARY_BITMAP_FIELD: u8 = 65;
/// Highest data element of the 1987 layout.
const LAST_FIELD: u8 = 128;
/// Bits in one bitmap.
const BITS_PER_BITMAP: u8 = 64;

/// Encodes `msg` per `spec`, computing the primary bitmap and, when any of DE 65..=128 is
/// present, the secondary bitmap (DE 1).
///
/// Fails if a field number cannot be encoded (0, 1, 65 or above 128), a value breaks its field
/// spec (fixed fields need their exact length; ASCII fields need 7-bit bytes), or the result
/// would exceed [`MAX_MESSAGE_BYTES`].
pub fn encode(msg: &Message, spec: &Spec) -> Result<Vec<u8>, EncodeError> {
    let (primary, secondary) = bitmaps_for(msg)?;
    let mut out = Vec::with_capacity(256);
    write_mti(&mut out, msg.mti(), spec.mti())?;
    bitmap::write(&mut out, &primary, spec.primary_bitmap());
    if let Some(secondary) = &secondary {
        bitmap::write(
            &mut out,
            secondary,
            field_spec(spec, SECONDARY_BITMAP_FIELD)?,
        );
    }
    for (de, value) in msg.fields() {
        field::write(&mut out, de, field_spec(spec, de)?, value)?;
    }
    if out.len() > MAX_MESSAGE_BYTES {
        return Err(EncodeError::TooLong {
            len: out.len(),
            max_bytes: MAX_MESSAGE_BYTES,
        });
    }
    Ok(out)
}

/// Decodes one whole message; every byte must belong to it.
///
/// Returns [`DecodeError::Incomplete`] when the bytes end early (every strict prefix of a valid
/// message gives this), [`DecodeError::Field`] naming the field and rule for malformed content,
/// [`DecodeError::TrailingBytes`] for leftovers and [`DecodeError::TooLong`] above
/// [`MAX_MESSAGE_BYTES`].
///
/// Accepted like pyiso8583: lower-case hex in ASCII bitmaps, and a secondary bitmap with no bit
/// set. Rejected although pyiso8583 accepts them: a non-digit MTI, length prefixes that are not
/// plain digits (Python's `int()` takes " 5" and "+5"), whitespace inside hex bitmaps, and bit 65
/// (pyiso8583's tertiary bitmap).
pub fn decode(bytes: &[u8], spec: &Spec) -> Result<Message, DecodeError> {
    if bytes.len() > MAX_MESSAGE_BYTES {
        return Err(DecodeError::TooLong {
            len: bytes.len(),
            max_bytes: MAX_MESSAGE_BYTES,
        });
    }
    let mut r = Reader::new(bytes);
    let mti = read_mti(&mut r, spec.mti())?;
    let primary = bitmap::read(&mut r, spec.primary_bitmap(), FieldId::PrimaryBitmap)?;
    let secondary = if bitmap::is_set(&primary, SECONDARY_BITMAP_FIELD) {
        let id = FieldId::Field(SECONDARY_BITMAP_FIELD);
        let secondary = bitmap::read(&mut r, decode_spec(spec, SECONDARY_BITMAP_FIELD)?, id)?;
        if bitmap::is_set(&secondary, TERTIARY_BITMAP_FIELD - BITS_PER_BITMAP) {
            return Err(DecodeError::Field {
                field: FieldId::Field(TERTIARY_BITMAP_FIELD),
                rule: DecodeRule::TertiaryBitmap,
            });
        }
        secondary
    } else {
        Bitmap::default()
    };
    let mut fields = BTreeMap::new();
    for de in present_fields(&primary, &secondary) {
        fields.insert(de, field::read(&mut r, de, decode_spec(spec, de)?)?);
    }
    if r.remaining() > 0 {
        return Err(DecodeError::TrailingBytes {
            count: r.remaining(),
        });
    }
    Ok(Message::from_parts(mti, fields))
}

/// Checks every field number and computes the primary and (if needed) secondary bitmap.
fn bitmaps_for(msg: &Message) -> Result<(Bitmap, Option<Bitmap>), EncodeError> {
    let mut primary = Bitmap::default();
    let mut secondary = Bitmap::default();
    for (de, _) in msg.fields() {
        check_field_number(de)?;
        match de.checked_sub(BITS_PER_BITMAP) {
            Some(bit @ 1..) => bitmap::set(&mut secondary, bit),
            _ => bitmap::set(&mut primary, de),
        }
    }
    if secondary == Bitmap::default() {
        return Ok((primary, None));
    }
    bitmap::set(&mut primary, SECONDARY_BITMAP_FIELD);
    Ok((primary, Some(secondary)))
}

fn check_field_number(de: u8) -> Result<(), EncodeError> {
    let rule = match de {
        2..=64 | 66..=128 => return Ok(()),
        SECONDARY_BITMAP_FIELD => "DE 1 is the secondary bitmap, which the encoder computes",
        TERTIARY_BITMAP_FIELD => {
            "DE 65 is not supported (pyiso8583 treats bit 65 as a tertiary bitmap)"
        }
        _ => "field number is outside 2..=128",
    };
    Err(EncodeError::field(FieldId::Field(de), rule))
}

/// Data elements 2..=128 whose bit is set, ascending (bit 1 of the primary bitmap is DE 1).
fn present_fields<'a>(primary: &'a Bitmap, secondary: &'a Bitmap) -> impl Iterator<Item = u8> + 'a {
    (2..=LAST_FIELD).filter(move |&de| match de.checked_sub(BITS_PER_BITMAP) {
        Some(bit @ 1..) => bitmap::is_set(secondary, bit),
        _ => bitmap::is_set(primary, de),
    })
}

fn write_mti(out: &mut Vec<u8>, mti: &str, spec: &FieldSpec) -> Result<(), EncodeError> {
    if mti.len() != usize::from(spec.max_len) || !mti.bytes().all(|b| b.is_ascii_digit()) {
        return Err(EncodeError::field(
            FieldId::Mti,
            "MTI must be 4 decimal digits",
        ));
    }
    out.extend_from_slice(mti.as_bytes());
    Ok(())
}

fn read_mti(r: &mut Reader<'_>, spec: &FieldSpec) -> Result<String, DecodeError> {
    let raw = r.take(usize::from(spec.max_len), FieldId::Mti)?;
    if !raw.iter().all(u8::is_ascii_digit) {
        return Err(DecodeError::Field {
            field: FieldId::Mti,
            rule: DecodeRule::MtiNotDecimal,
        });
    }
    Ok(raw.iter().copied().map(char::from).collect())
}

/// The spec of DE `de`; both built-in tables define all of 1..=128, so this fails only for a
/// field number the caller already rejected.
fn field_spec(spec: &Spec, de: u8) -> Result<&FieldSpec, EncodeError> {
    spec.field(de)
        .ok_or_else(|| EncodeError::field(FieldId::Field(de), "field is not in the spec"))
}

fn decode_spec(spec: &Spec, de: u8) -> Result<&FieldSpec, DecodeError> {
    spec.field(de).ok_or(DecodeError::Field {
        field: FieldId::Field(de),
        rule: DecodeRule::NotInSpec,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Profile;

    /// The purchase authorisation of protocols.md §4.4, verified with pyiso8583 4.0.1.
    fn golden_0100() -> Message {
        let mut m = Message::new("0100").unwrap();
        m.set_str(2, "4111111111111111")
            .set_str(3, "000000")
            .set_str(4, "000000001000")
            .set_str(11, "000001")
            .set_str(14, "2512")
            .set_str(22, "071")
            .set_str(49, "410");
        m
    }

    const GOLDEN_FIELDS: &[u8] = b"1641111111111111110000000000000010000000012512071410";

    #[test]
    fn golden_0100_binary_profile_matches_pyiso8583_default() {
        let mut expected = b"0100p$\x04\x00\x00\x00\x80\x00".to_vec();
        expected.extend_from_slice(GOLDEN_FIELDS);
        let bytes = encode(&golden_0100(), Profile::Binary.spec()).unwrap();
        assert_eq!(bytes, expected);
        assert_eq!(decode(&expected, Profile::Binary.spec()), Ok(golden_0100()));
    }

    #[test]
    fn golden_0100_ascii_profile_matches_pyiso8583_default_ascii() {
        let expected: &[u8] =
            b"010070240400000080001641111111111111110000000000000010000000012512071410";
        let bytes = encode(&golden_0100(), Profile::Ascii.spec()).unwrap();
        assert_eq!(bytes, expected);
        assert_eq!(decode(expected, Profile::Ascii.spec()), Ok(golden_0100()));
    }

    #[test]
    fn golden_0800_with_de_70_carries_a_secondary_bitmap() {
        let mut m = Message::new("0800").unwrap();
        m.set_str(7, "1124093000")
            .set_str(11, "000042")
            .set_str(70, "301");
        let ascii = encode(&m, Profile::Ascii.spec()).unwrap();
        assert_eq!(
            ascii,
            b"0800822000000000000004000000000000001124093000000042301"
        );
        let binary = encode(&m, Profile::Binary.spec()).unwrap();
        let mut expected = b"0800\x82\x20\0\0\0\0\0\0\x04\0\0\0\0\0\0\0".to_vec();
        expected.extend_from_slice(b"1124093000000042301");
        assert_eq!(binary, expected);
        for (bytes, p) in [(ascii, Profile::Ascii), (binary, Profile::Binary)] {
            assert_eq!(decode(&bytes, p.spec()).as_ref(), Ok(&m));
        }
    }

    #[test]
    fn encode_refuses_field_numbers_it_cannot_place() {
        for (de, rule) in [
            (0, "field number is outside 2..=128"),
            (
                1,
                "DE 1 is the secondary bitmap, which the encoder computes",
            ),
            (
                65,
                "DE 65 is not supported (pyiso8583 treats bit 65 as a tertiary bitmap)",
            ),
            (129, "field number is outside 2..=128"),
        ] {
            let mut m = golden_0100();
            m.set(de, b"x".to_vec());
            let err = encode(&m, Profile::Binary.spec()).unwrap_err();
            assert_eq!(
                err,
                EncodeError::Field {
                    field: FieldId::Field(de),
                    rule: rule.into()
                }
            );
        }
    }

    #[test]
    fn encode_refuses_messages_above_the_size_limit() {
        let mut m = Message::new("0200").unwrap();
        for de in 105..=127 {
            m.set(de, vec![b'A'; 999]);
        }
        let err = encode(&m, Profile::Ascii.spec()).unwrap_err();
        assert!(
            matches!(
                err,
                EncodeError::TooLong {
                    max_bytes: MAX_MESSAGE_BYTES,
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn decode_rejects_trailing_bytes_oversize_input_and_bad_mti() {
        let spec = Profile::Ascii.spec();
        let mut bytes = encode(&golden_0100(), spec).unwrap();
        bytes.push(b'0');
        assert_eq!(
            decode(&bytes, spec),
            Err(DecodeError::TrailingBytes { count: 1 })
        );
        let huge = vec![b'0'; MAX_MESSAGE_BYTES + 1];
        assert_eq!(
            decode(&huge, spec),
            Err(DecodeError::TooLong {
                len: MAX_MESSAGE_BYTES + 1,
                max_bytes: MAX_MESSAGE_BYTES
            })
        );
        let err = decode(b"01A00000000000000000", spec).unwrap_err();
        assert_eq!(err.to_string(), "MTI: MTI is not 4 decimal digits");
    }

    #[test]
    fn decode_rejects_bit_65_and_accepts_an_empty_secondary_bitmap() {
        let spec = Profile::Ascii.spec();
        let err = decode(b"080080000000000000008000000000000000", spec).unwrap_err();
        assert_eq!(
            err.to_string(),
            "DE 65: bit 65 (tertiary bitmap) is not supported"
        );
        // pyiso8583 accepts a secondary bitmap with no bit set; so do we, and re-encoding
        // drops it.
        let m = decode(
            b"0800C0000000000000000000000000000000164111111111111111",
            spec,
        )
        .unwrap();
        assert_eq!(m.get_str(2), Some("4111111111111111"));
        assert_eq!(&encode(&m, spec).unwrap()[4..20], b"4000000000000000");
    }

    #[test]
    fn decode_reports_incomplete_with_the_field_that_ran_out() {
        let spec = Profile::Binary.spec();
        let bytes = encode(&golden_0100(), spec).unwrap();
        let cases: [(usize, FieldId, usize, usize); 4] = [
            (0, FieldId::Mti, 4, 0),
            (6, FieldId::PrimaryBitmap, 8, 2),
            (13, FieldId::Field(2), 2, 1),
            (20, FieldId::Field(2), 16, 6),
        ];
        for (cut, field, needed, available) in cases {
            let got = decode(bytes.get(..cut).unwrap(), spec);
            assert_eq!(
                got,
                Err(DecodeError::Incomplete {
                    field,
                    needed,
                    available
                }),
                "cut {cut}"
            );
        }
    }
}
