//! EMV BER-TLV, the format of DE 55 (ICC system-related data).
//!
//! * Tag: one byte, or more when the low 5 bits of the first byte are all 1 (`9F26`, `5F2A`);
//!   following bytes continue while their bit 8 is set. Bit 6 (0x20) of the first byte marks a
//!   constructed tag (`70`, `77`, `A5`) whose value is itself a list of TLVs.
//! * Length: below 0x80 one byte (short form); otherwise 0x81, 0x82 or 0x83 followed by that
//!   many big-endian length bytes (long form). Indefinite length (0x80) is not allowed in EMV.
//!
//! Decoding accepts non-minimal long forms (`81 05`); encoding always writes the minimal form.
//! Padding bytes between TLVs (00/FF, allowed in card records) are not skipped: DE 55 has none.

use std::fmt;

/// Deepest nesting of constructed tags [`decode`] accepts; bounds recursion on hostile input.
/// EMV data nests two or three levels at most.
pub const MAX_TLV_DEPTH: usize = 8;
/// Longest tag [`decode`] accepts, in bytes. EMV tags have at most 3.
pub const MAX_TLV_TAG_BYTES: usize = 4;
/// Most length bytes after the 0x8N long-form marker [`decode`] accepts (0x83: 16 MiB).
pub const MAX_TLV_LENGTH_BYTES: usize = 3;

/// Tags whose value `Debug` masks: track 1/2 equivalent data (56, 57, 9F6B), PAN (5A),
/// cardholder name (5F20) and track discretionary data (9F1F, 9F20).
pub const SENSITIVE_TAGS: [&[u8]; 7] = [
    &[0x56],
    &[0x57],
    &[0x5A],
    &[0x5F, 0x20],
    &[0x9F, 0x1F],
    &[0x9F, 0x20],
    &[0x9F, 0x6B],
];

/// One tag-length-value item.
#[derive(Clone, PartialEq, Eq)]
pub struct Tlv {
    /// The tag bytes, e.g. `[0x9F, 0x26]`.
    pub tag: Vec<u8>,
    /// The value: raw bytes, or nested items for a constructed tag.
    pub value: Value,
}

/// The value of a [`Tlv`].
#[derive(Clone, PartialEq, Eq)]
pub enum Value {
    /// Raw value bytes of a primitive tag.
    Primitive(Vec<u8>),
    /// Nested items of a constructed tag (bit 6 of the first tag byte set).
    Constructed(Vec<Tlv>),
}

impl Tlv {
    /// A primitive item.
    pub fn primitive(tag: impl Into<Vec<u8>>, value: impl Into<Vec<u8>>) -> Tlv {
        Tlv {
            tag: tag.into(),
            value: Value::Primitive(value.into()),
        }
    }

    /// A constructed item holding `items`.
    pub fn constructed(tag: impl Into<Vec<u8>>, items: Vec<Tlv>) -> Tlv {
        Tlv {
            tag: tag.into(),
            value: Value::Constructed(items),
        }
    }

    /// Whether a tag is constructed: bit 6 (0x20) of its first byte.
    pub fn is_constructed_tag(tag: &[u8]) -> bool {
        tag.first().is_some_and(|b| b & 0x20 != 0)
    }
}

/// The first item with `tag`, searching depth-first through constructed items.
pub fn find<'a>(items: &'a [Tlv], tag: &[u8]) -> Option<&'a Tlv> {
    items.iter().find_map(|item| {
        if item.tag == tag {
            return Some(item);
        }
        match &item.value {
            Value::Constructed(children) => find(children, tag),
            Value::Primitive(_) => None,
        }
    })
}

/// Why [`decode`] rejected its input: where, and which rule.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("TLV at offset {offset}: {rule}")]
pub struct TlvError {
    /// Offset from the start of the input of the tag, length or value that broke the rule.
    pub offset: usize,
    /// The rule.
    pub rule: TlvRule,
}

/// The BER-TLV rule a [`TlvError`] reports.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TlvRule {
    /// The input ends inside a multi-byte tag.
    #[error("tag is incomplete")]
    TagIncomplete,
    /// A multi-byte tag is longer than [`MAX_TLV_TAG_BYTES`].
    #[error("tag is longer than {max_bytes} bytes")]
    TagTooLong {
        /// The limit.
        max_bytes: usize,
    },
    /// The input ends before or inside the length.
    #[error("length needs {needed} bytes, {available} available")]
    LengthIncomplete {
        /// Bytes of length (marker included) needed.
        needed: usize,
        /// Bytes left.
        available: usize,
    },
    /// Length byte 0x80 (indefinite form), which EMV does not allow.
    #[error("indefinite length (0x80) is not allowed")]
    IndefiniteLength,
    /// A long form with more than [`MAX_TLV_LENGTH_BYTES`] length bytes.
    #[error("long-form length with {len_bytes} bytes exceeds max {max_bytes}")]
    LengthTooLong {
        /// Length bytes announced by the 0x8N marker.
        len_bytes: usize,
        /// The limit.
        max_bytes: usize,
    },
    /// The value runs past the end of the input (or of the enclosing constructed value).
    #[error("value needs {needed} bytes, {available} available")]
    ValueIncomplete {
        /// Length announced.
        needed: usize,
        /// Bytes left.
        available: usize,
    },
    /// Constructed tags nest deeper than [`MAX_TLV_DEPTH`].
    #[error("constructed tags nest deeper than {max_depth}")]
    DepthExceeded {
        /// The limit.
        max_depth: usize,
    },
}

/// Decodes a concatenation of TLVs (such as DE 55); empty input gives no items.
pub fn decode(bytes: &[u8]) -> Result<Vec<Tlv>, TlvError> {
    decode_level(bytes, 0, 0)
}

/// Decodes the items of one level; `base` is the offset of `bytes` in the original input.
fn decode_level(bytes: &[u8], base: usize, depth: usize) -> Result<Vec<Tlv>, TlvError> {
    let mut items = Vec::new();
    let mut pos = 0;
    while pos < bytes.len() {
        let (item, next) = decode_item(bytes, pos, base, depth)?;
        items.push(item);
        pos = next;
    }
    Ok(items)
}

/// Decodes the item starting at `pos` and returns it with the position after it.
fn decode_item(
    bytes: &[u8],
    pos: usize,
    base: usize,
    depth: usize,
) -> Result<(Tlv, usize), TlvError> {
    let at = |offset: usize, rule| TlvError {
        offset: base.saturating_add(offset),
        rule,
    };
    let rest = bytes.get(pos..).unwrap_or_default();
    let tag_len = tag_length(rest).map_err(|rule| at(pos, rule))?;
    let len_pos = pos + tag_len;
    let (value_len, len_bytes) =
        read_length(bytes.get(len_pos..).unwrap_or_default()).map_err(|rule| at(len_pos, rule))?;
    let value_pos = len_pos + len_bytes;
    let available = bytes.len().saturating_sub(value_pos);
    let value_end = value_pos
        .checked_add(value_len)
        .filter(|&end| end <= bytes.len())
        .ok_or_else(|| {
            at(
                value_pos,
                TlvRule::ValueIncomplete {
                    needed: value_len,
                    available,
                },
            )
        })?;
    let tag = rest.get(..tag_len).unwrap_or_default().to_vec();
    let raw = bytes.get(value_pos..value_end).unwrap_or_default();
    let value = if Tlv::is_constructed_tag(&tag) {
        if depth >= MAX_TLV_DEPTH {
            return Err(at(
                pos,
                TlvRule::DepthExceeded {
                    max_depth: MAX_TLV_DEPTH,
                },
            ));
        }
        Value::Constructed(decode_level(
            raw,
            base.saturating_add(value_pos),
            depth + 1,
        )?)
    } else {
        Value::Primitive(raw.to_vec())
    };
    Ok((Tlv { tag, value }, value_end))
}

/// Length in bytes of the tag at the start of `bytes` (which is not empty).
fn tag_length(bytes: &[u8]) -> Result<usize, TlvRule> {
    let Some((&first, rest)) = bytes.split_first() else {
        return Err(TlvRule::TagIncomplete);
    };
    if first & 0x1F != 0x1F {
        return Ok(1);
    }
    // Subsequent bytes: bit 8 set means another byte follows.
    for (i, b) in rest.iter().enumerate() {
        let len = i + 2;
        if len > MAX_TLV_TAG_BYTES {
            return Err(TlvRule::TagTooLong {
                max_bytes: MAX_TLV_TAG_BYTES,
            });
        }
        if b & 0x80 == 0 {
            return Ok(len);
        }
    }
    Err(TlvRule::TagIncomplete)
}

/// Reads a length at the start of `bytes`: returns (value length, bytes used by the length).
fn read_length(bytes: &[u8]) -> Result<(usize, usize), TlvRule> {
    let Some((&first, rest)) = bytes.split_first() else {
        return Err(TlvRule::LengthIncomplete {
            needed: 1,
            available: 0,
        });
    };
    if first < 0x80 {
        return Ok((usize::from(first), 1));
    }
    let len_bytes = usize::from(first & 0x7F);
    if len_bytes == 0 {
        return Err(TlvRule::IndefiniteLength);
    }
    if len_bytes > MAX_TLV_LENGTH_BYTES {
        return Err(TlvRule::LengthTooLong {
            len_bytes,
            max_bytes: MAX_TLV_LENGTH_BYTES,
        });
    }
    let digits = rest.get(..len_bytes).ok_or(TlvRule::LengthIncomplete {
        needed: 1 + len_bytes,
        available: bytes.len(),
    })?;
    // At most 3 bytes, so the value fits in 24 bits.
    let len = digits
        .iter()
        .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
    Ok((len, 1 + len_bytes))
}

/// Encodes items in order, each with the minimal length form.
pub fn encode(items: &[Tlv]) -> Vec<u8> {
    let mut out = Vec::new();
    encode_into(&mut out, items);
    out
}

fn encode_into(out: &mut Vec<u8>, items: &[Tlv]) {
    for item in items {
        out.extend_from_slice(&item.tag);
        match &item.value {
            Value::Primitive(v) => {
                push_length(out, v.len());
                out.extend_from_slice(v);
            }
            Value::Constructed(children) => {
                let inner = encode(children);
                push_length(out, inner.len());
                out.extend_from_slice(&inner);
            }
        }
    }
}

fn push_length(out: &mut Vec<u8>, len: usize) {
    if let Ok(short @ 0..0x80) = u8::try_from(len) {
        out.push(short);
        return;
    }
    let be = len.to_be_bytes();
    let leading_zeros = be.iter().take_while(|&&b| b == 0).count();
    let significant = be.get(leading_zeros..).unwrap_or_default();
    // `significant` holds at most size_of::<usize>() bytes, so the count fits in the low 7 bits.
    out.push(0x80 | significant.len() as u8);
    out.extend_from_slice(significant);
}

impl fmt::Debug for Tlv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tag = Hex(&self.tag);
        match &self.value {
            Value::Constructed(children) => {
                f.debug_tuple(&format!("{tag:?}")).field(children).finish()
            }
            Value::Primitive(v) if SENSITIVE_TAGS.contains(&self.tag.as_slice()) => {
                write!(f, "{tag:?}: <masked, {} bytes>", v.len())
            }
            Value::Primitive(v) => write!(f, "{tag:?}: {:?}", Hex(v)),
        }
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // A bare value has lost its tag, so it cannot tell whether it is sensitive: mask.
            Value::Primitive(v) => write!(f, "Primitive(<{} bytes>)", v.len()),
            Value::Constructed(items) => f.debug_tuple("Constructed").field(items).finish(),
        }
    }
}

/// Upper-case hex, for `Debug`.
struct Hex<'a>(&'a [u8]);

impl fmt::Debug for Hex<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02X}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(bytes: &[u8]) -> TlvError {
        decode(bytes).unwrap_err()
    }

    #[test]
    fn multi_byte_tags_and_long_form_lengths_decode() {
        let mut input = vec![0x9F, 0x10, 0x81, 0x81];
        input.extend([0xAA; 0x81]);
        input.extend([0x5F, 0x2A, 0x02, 0x04, 0x10]);
        let items = decode(&input).unwrap();
        assert_eq!(
            items,
            [
                Tlv::primitive([0x9F, 0x10], [0xAA; 0x81]),
                Tlv::primitive([0x5F, 0x2A], [0x04, 0x10])
            ]
        );
        assert_eq!(encode(&items), input);
        // Three-byte tag, and 0x82 form.
        let mut input = vec![0xDF, 0x81, 0x01, 0x82, 0x01, 0x00];
        input.extend([0x11; 256]);
        let items = decode(&input).unwrap();
        assert_eq!(items[0].tag, [0xDF, 0x81, 0x01]);
        assert_eq!(encode(&items), input);
    }

    #[test]
    fn non_minimal_lengths_decode_and_re_encode_minimally() {
        let items = decode(&[0x9C, 0x81, 0x01, 0x00]).unwrap();
        assert_eq!(items, [Tlv::primitive([0x9C], [0x00])]);
        assert_eq!(encode(&items), [0x9C, 0x01, 0x00]);
        assert_eq!(
            decode(&[0x9C, 0x83, 0, 0, 1, 7]).unwrap(),
            items
                .iter()
                .map(|_| Tlv::primitive([0x9C], [7]))
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn errors_name_offset_and_rule() {
        assert_eq!(
            err(&[0x9F]).to_string(),
            "TLV at offset 0: tag is incomplete"
        );
        assert_eq!(
            err(&[0x9C, 0x01, 0x00, 0x9F, 0x81]).to_string(),
            "TLV at offset 3: tag is incomplete"
        );
        assert_eq!(
            err(&[0x9F, 0x81, 0x81, 0x81, 0x01]).rule,
            TlvRule::TagTooLong { max_bytes: 4 }
        );
        assert_eq!(
            err(&[0x9C]).to_string(),
            "TLV at offset 1: length needs 1 bytes, 0 available"
        );
        assert_eq!(
            err(&[0x9C, 0x82, 0x01]).rule,
            TlvRule::LengthIncomplete {
                needed: 3,
                available: 2
            }
        );
        assert_eq!(
            err(&[0x9C, 0x80]).to_string(),
            "TLV at offset 1: indefinite length (0x80) is not allowed"
        );
        assert_eq!(
            err(&[0x9C, 0x84, 0, 0, 0, 1, 0]).rule,
            TlvRule::LengthTooLong {
                len_bytes: 4,
                max_bytes: 3
            }
        );
        assert_eq!(
            err(&[0x9C, 0x05, 1, 2]).to_string(),
            "TLV at offset 2: value needs 5 bytes, 2 available"
        );
        // The child overruns its parent: offset is absolute.
        let e = err(&[0x70, 0x04, 0x5A, 0x05, 0x41, 0x11, 0x11]);
        assert_eq!(
            e,
            TlvError {
                offset: 4,
                rule: TlvRule::ValueIncomplete {
                    needed: 5,
                    available: 2
                }
            }
        );
    }

    #[test]
    fn nesting_deeper_than_the_limit_is_rejected_without_recursing_further() {
        let nested = |levels: usize| {
            let mut item = Tlv::primitive([0x9C], [0]);
            for _ in 0..levels {
                item = Tlv::constructed([0x70], vec![item]);
            }
            encode(&[item])
        };
        assert!(decode(&nested(MAX_TLV_DEPTH)).is_ok());
        let e = err(&nested(MAX_TLV_DEPTH + 1));
        assert_eq!(
            e.rule,
            TlvRule::DepthExceeded {
                max_depth: MAX_TLV_DEPTH
            }
        );
        // Hostile: 2 000 levels of valid nesting must stop at the limit, not overflow the stack.
        let mut hostile = vec![0x9C, 0x01, 0x00];
        for _ in 0..2_000 {
            let mut outer = vec![0x70];
            push_length(&mut outer, hostile.len());
            outer.extend_from_slice(&hostile);
            hostile = outer;
        }
        assert_eq!(
            err(&hostile).rule,
            TlvRule::DepthExceeded {
                max_depth: MAX_TLV_DEPTH
            }
        );
    }

    #[test]
    fn find_searches_inside_constructed_items() {
        let items = decode(&[
            0x70, 0x07, 0x5A, 0x05, 0x41, 0x11, 0x11, 0x11, 0x11, 0x9C, 0x01, 0x00,
        ])
        .unwrap();
        assert_eq!(
            find(&items, &[0x5A]).map(|t| &t.value),
            Some(&Value::Primitive(vec![0x41, 0x11, 0x11, 0x11, 0x11]))
        );
        assert_eq!(
            find(&items, &[0x9C]).map(|t| t.tag.as_slice()),
            Some(&[0x9C][..])
        );
        assert!(find(&items, &[0x9F, 0x26]).is_none());
    }

    #[test]
    fn debug_masks_pan_and_track_data() {
        let items = decode(&[
            0x70, 0x07, 0x5A, 0x05, 0x41, 0x11, 0x11, 0x11, 0x11, 0x9C, 0x01, 0x00,
        ])
        .unwrap();
        let shown = format!("{items:?}");
        assert!(!shown.contains("4111"), "{shown}");
        assert!(shown.contains("5A: <masked, 5 bytes>"), "{shown}");
        assert!(shown.contains("9C: 00"), "{shown}");
        assert_eq!(
            format!("{:?}", items[0].value),
            "Constructed([5A: <masked, 5 bytes>])"
        );
    }
}
