//! Coding of one data element per its [`FieldSpec`]: optional ASCII decimal length prefix, then
//! the data. Lengths are counted in bytes (pyiso8583 `len_count` "bytes" in both profiles).

use crate::error::{DecodeError, DecodeRule, EncodeError, FieldId};
use crate::reader::Reader;
use crate::spec::{Enc, FieldSpec, LenType};

/// Appends DE `de` (length prefix and data) to `out`, after checking `value` against `spec`.
pub(crate) fn write(
    out: &mut Vec<u8>,
    de: u8,
    spec: &FieldSpec,
    value: &[u8],
) -> Result<(), EncodeError> {
    let id = FieldId::Field(de);
    let len = value.len();
    let max_len = usize::from(spec.max_len);
    if len > max_len {
        return Err(EncodeError::field(
            id,
            format!("length {len} exceeds max {max_len}"),
        ));
    }
    if spec.len_type == LenType::Fixed && len != max_len {
        // pyiso8583 requires fixed fields at their exact length and never pads: neither do we,
        // since the right pad (zeros on the left for numbers, spaces on the right for text)
        // depends on the field's meaning, which the codec does not know.
        return Err(EncodeError::field(
            id,
            format!("length {len} is not the fixed length {max_len}"),
        ));
    }
    if let Some(offset) = first_non_ascii(spec, value) {
        return Err(EncodeError::field(
            id,
            format!("byte {offset} is not ASCII"),
        ));
    }
    write_prefix(out, spec.len_type, len);
    out.extend_from_slice(value);
    Ok(())
}

/// Appends the ASCII decimal length prefix, zero-padded to the prefix width.
fn write_prefix(out: &mut Vec<u8>, len_type: LenType, len: usize) {
    match len_type {
        LenType::Fixed => {}
        // `len` is at most `max_len`, and the tables keep `max_len` within the prefix width
        // (checked by a unit test), so the digits always fit.
        LenType::LLVar => out.extend_from_slice(format!("{len:02}").as_bytes()),
        LenType::LLLVar => out.extend_from_slice(format!("{len:03}").as_bytes()),
    }
}

/// Reads DE `de` per `spec` and returns its data bytes.
pub(crate) fn read(r: &mut Reader<'_>, de: u8, spec: &FieldSpec) -> Result<Vec<u8>, DecodeError> {
    let id = FieldId::Field(de);
    let len = match spec.len_type {
        LenType::Fixed => usize::from(spec.max_len),
        variable => read_prefix(r, id, variable, spec.max_len)?,
    };
    let data = r.take(len, id)?;
    if let Some(offset) = first_non_ascii(spec, data) {
        return Err(DecodeError::Field {
            field: id,
            rule: DecodeRule::NotAscii { offset },
        });
    }
    Ok(data.to_vec())
}

/// Offset of the first byte of 0x80 or above in an ASCII field (`None` for binary fields).
fn first_non_ascii(spec: &FieldSpec, bytes: &[u8]) -> Option<usize> {
    match spec.data_enc {
        Enc::Ascii => bytes.iter().position(|b| !b.is_ascii()),
        Enc::Binary => None,
    }
}

/// Reads and checks a length prefix: only ASCII digits (stricter than Python's `int()`, which
/// would also take " 5", "+5" or "-1"), and no more than `max_len`.
fn read_prefix(
    r: &mut Reader<'_>,
    id: FieldId,
    len_type: LenType,
    max_len: u16,
) -> Result<usize, DecodeError> {
    let prefix = r.take(len_type.prefix_width(), id)?;
    let not_decimal = || DecodeError::Field {
        field: id,
        rule: DecodeRule::LengthPrefixNotDecimal {
            len_type: len_type.name(),
            prefix: prefix.to_vec(),
        },
    };
    // At most 3 digits, so the value stays below 1000 and cannot overflow.
    let len = prefix.iter().try_fold(0usize, |acc, &b| {
        b.is_ascii_digit().then(|| acc * 10 + usize::from(b - b'0'))
    });
    let len = len.ok_or_else(not_decimal)?;
    if len > usize::from(max_len) {
        return Err(DecodeError::Field {
            field: id,
            rule: DecodeRule::LengthExceedsMax { len, max_len },
        });
    }
    Ok(len)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Profile;

    fn spec(de: u8) -> &'static FieldSpec {
        Profile::Binary.spec().field(de).unwrap()
    }

    #[test]
    fn every_variable_max_len_fits_its_prefix_width() {
        for profile in Profile::ALL {
            for de in 1..=128 {
                let f = profile.spec().field(de).unwrap();
                let limit = match f.len_type {
                    LenType::Fixed => continue,
                    LenType::LLVar => 99,
                    LenType::LLLVar => 999,
                };
                assert!(f.max_len <= limit, "{profile} DE {de}");
            }
        }
    }

    #[test]
    fn variable_fields_get_a_zero_padded_prefix() {
        let mut out = Vec::new();
        write(&mut out, 2, spec(2), b"4111111111111111").unwrap();
        write(&mut out, 48, spec(48), b"CVC").unwrap();
        write(&mut out, 32, spec(32), b"").unwrap();
        assert_eq!(out, b"164111111111111111003CVC00");
    }

    #[test]
    fn encode_rejects_wrong_lengths_and_non_ascii_text() {
        let err = |de, v: &[u8]| {
            write(&mut Vec::new(), de, spec(de), v)
                .unwrap_err()
                .to_string()
        };
        assert_eq!(err(4, b"0000000010000"), "DE 4: length 13 exceeds max 12");
        assert_eq!(err(4, b"1000"), "DE 4: length 4 is not the fixed length 12");
        assert_eq!(err(2, &[b'4'; 20]), "DE 2: length 20 exceeds max 19");
        let mut name = "Caf\u{e9} Seoul".as_bytes().to_vec();
        name.resize(40, b' ');
        assert_eq!(err(43, &name), "DE 43: byte 3 is not ASCII");
        assert_eq!(
            err(48, "caf\u{e9}".as_bytes()),
            "DE 48: byte 3 is not ASCII"
        );
        assert!(
            write(&mut Vec::new(), 52, spec(52), &[0xff; 8]).is_ok(),
            "binary PIN block"
        );
    }

    #[test]
    fn decode_names_the_broken_prefix_rule() {
        let read_de = |de, bytes: &[u8]| read(&mut Reader::new(bytes), de, spec(de));
        let err = read_de(2, b"1x4111").unwrap_err();
        assert_eq!(
            err.to_string(),
            "DE 2: LLVAR length prefix '1x' is not decimal"
        );
        for sneaky in [&b" 5abcde"[..], b"+5abcde", b"-1"] {
            assert!(matches!(
                read_de(2, sneaky),
                Err(DecodeError::Field {
                    rule: DecodeRule::LengthPrefixNotDecimal { .. },
                    ..
                })
            ));
        }
        let err = read_de(2, b"20").unwrap_err();
        assert_eq!(err.to_string(), "DE 2: length 20 exceeds max 19");
        let err = read_de(55, b"256").unwrap_err();
        assert_eq!(err.to_string(), "DE 55: length 256 exceeds max 255");
        let err = read_de(48, b"003ab\x80").unwrap_err();
        assert_eq!(err.to_string(), "DE 48: byte 2 of the field is not ASCII");
        assert_eq!(read_de(55, b"002\x80\xff"), Ok(vec![0x80, 0xff]));
        assert_eq!(read_de(32, b"00"), Ok(vec![]));
    }

    #[test]
    fn decode_reports_incomplete_prefix_and_data() {
        let read_de = |de, bytes: &[u8]| read(&mut Reader::new(bytes), de, spec(de));
        let incomplete = |needed, available| {
            Err(DecodeError::Incomplete {
                field: FieldId::Field(2),
                needed,
                available,
            })
        };
        assert_eq!(read_de(2, b""), incomplete(2, 0));
        assert_eq!(read_de(2, b"1"), incomplete(2, 1));
        assert_eq!(read_de(2, b"16411"), incomplete(16, 3));
    }
}
