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
//!
//! The items and their encoding are here; decoding, its limits and the rule an input broke are
//! in `tlv/decoder.rs`.

use std::fmt;

mod decoder;

pub use decoder::{
    MAX_TLV_DEPTH, MAX_TLV_LENGTH_BYTES, MAX_TLV_TAG_BYTES, TlvError, TlvRule, decode,
};

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
