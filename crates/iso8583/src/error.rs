//! Error types of the codec. Every error names the field and the rule it broke, never the value:
//! field values may be card data.

use std::fmt;

/// Which part of a message an error is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FieldId {
    /// The 4-digit message type indicator.
    Mti,
    /// The primary bitmap (DE 2..=64 presence, bit 1 = secondary bitmap present).
    PrimaryBitmap,
    /// A data element; `Field(1)` is the secondary bitmap.
    Field(u8),
}

impl fmt::Display for FieldId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FieldId::Mti => f.write_str("MTI"),
            FieldId::PrimaryBitmap => f.write_str("primary bitmap"),
            FieldId::Field(1) => f.write_str("DE 1 (secondary bitmap)"),
            FieldId::Field(de) => write!(f, "DE {de}"),
        }
    }
}

/// The rule a decoded field broke.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeRule {
    /// The MTI is not 4 ASCII decimal digits.
    #[error("MTI is not 4 decimal digits")]
    MtiNotDecimal,
    /// An ASCII-profile bitmap is not 16 hexadecimal characters.
    #[error("bitmap is not 16 hexadecimal characters")]
    BitmapNotHex,
    /// Bit 65 of the secondary bitmap is set. pyiso8583 reads it as "tertiary bitmap follows",
    /// which neither profile of this codec supports.
    #[error("bit 65 (tertiary bitmap) is not supported")]
    TertiaryBitmap,
    /// A length prefix holds something other than ASCII decimal digits.
    #[error("{len_type} length prefix '{}' is not decimal", prefix.escape_ascii())]
    LengthPrefixNotDecimal {
        /// "LLVAR" or "LLLVAR".
        len_type: &'static str,
        /// The prefix bytes as received (2 or 3 bytes, never field data).
        prefix: Vec<u8>,
    },
    /// A length prefix announces more bytes than the field may hold.
    #[error("length {len} exceeds max {max_len}")]
    LengthExceedsMax {
        /// Announced length in bytes.
        len: usize,
        /// Maximum length of the field in bytes.
        max_len: u16,
    },
    /// The bitmap announces a field the spec does not define (not the case in the built-in
    /// profiles, which define all of 1..=128).
    #[error("field is not defined by the spec")]
    NotInSpec,
    /// An ASCII field holds a byte of 0x80 or above.
    #[error("byte {offset} of the field is not ASCII")]
    NotAscii {
        /// Offset of the first offending byte within the field data.
        offset: usize,
    },
}

/// Why [`crate::decode`] rejected a message.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The bytes end before `field` is complete. A stream reader may wait for more bytes; a
    /// complete frame with this error is malformed.
    #[error("{field}: incomplete, needs {needed} bytes but only {available} remain")]
    Incomplete {
        /// The field being read when the bytes ran out.
        field: FieldId,
        /// Bytes the current step (length prefix or data) needs.
        needed: usize,
        /// Bytes left in the input.
        available: usize,
    },
    /// A field is present but breaks a rule of the spec.
    #[error("{field}: {rule}")]
    Field {
        /// The offending field.
        field: FieldId,
        /// The rule it broke.
        rule: DecodeRule,
    },
    /// Bytes are left over after the last field announced by the bitmaps.
    #[error("{count} trailing bytes after the last field")]
    TrailingBytes {
        /// Number of leftover bytes.
        count: usize,
    },
    /// The input is longer than [`crate::MAX_MESSAGE_BYTES`]; nothing was parsed.
    #[error("message length {len} exceeds max {max_bytes} bytes")]
    TooLong {
        /// Input length in bytes.
        len: usize,
        /// The limit, [`crate::MAX_MESSAGE_BYTES`].
        max_bytes: usize,
    },
}

/// Why [`crate::encode`] (or [`crate::Message::new`]) refused a message.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// A field value does not fit its spec, or the field number is not encodable.
    #[error("{field}: {rule}")]
    Field {
        /// The offending field.
        field: FieldId,
        /// The rule it broke, e.g. "length 13 exceeds max 12".
        rule: String,
    },
    /// The encoded message would be longer than [`crate::MAX_MESSAGE_BYTES`].
    #[error("encoded message length {len} exceeds max {max_bytes} bytes")]
    TooLong {
        /// Encoded length in bytes.
        len: usize,
        /// The limit, [`crate::MAX_MESSAGE_BYTES`].
        max_bytes: usize,
    },
}

impl EncodeError {
    pub(crate) fn field(field: FieldId, rule: impl Into<String>) -> Self {
        EncodeError::Field {
            field,
            rule: rule.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_field_and_the_rule() {
        let e = DecodeError::Field {
            field: FieldId::Field(2),
            rule: DecodeRule::LengthPrefixNotDecimal {
                len_type: "LLVAR",
                prefix: b"1x".to_vec(),
            },
        };
        assert_eq!(
            e.to_string(),
            "DE 2: LLVAR length prefix '1x' is not decimal"
        );
        let e = EncodeError::field(FieldId::Field(4), "length 13 exceeds max 12");
        assert_eq!(e.to_string(), "DE 4: length 13 exceeds max 12");
        let e = DecodeError::Incomplete {
            field: FieldId::PrimaryBitmap,
            needed: 8,
            available: 3,
        };
        assert_eq!(
            e.to_string(),
            "primary bitmap: incomplete, needs 8 bytes but only 3 remain"
        );
        assert_eq!(FieldId::Mti.to_string(), "MTI");
        assert_eq!(FieldId::Field(1).to_string(), "DE 1 (secondary bitmap)");
    }

    #[test]
    fn a_non_printable_length_prefix_is_escaped() {
        let rule = DecodeRule::LengthPrefixNotDecimal {
            len_type: "LLLVAR",
            prefix: vec![0x00, b'9', 0xff],
        };
        assert_eq!(
            rule.to_string(),
            r"LLLVAR length prefix '\x009\xff' is not decimal"
        );
    }
}
