//! Decoding BER-TLV ([`decode`]): bounded on hostile input (depth, tag and length sizes), and
//! a rejection names the offset and the rule broken ([`TlvError`], [`TlvRule`]).

use super::{Tlv, Value};

/// Deepest nesting of constructed tags [`decode`] accepts; bounds recursion on hostile input.
/// EMV data nests two or three levels at most.
pub const MAX_TLV_DEPTH: usize = 8;
/// Longest tag [`decode`] accepts, in bytes. EMV tags have at most 3.
pub const MAX_TLV_TAG_BYTES: usize = 4;
/// Most length bytes after the 0x8N long-form marker [`decode`] accepts (0x83: 16 MiB).
pub const MAX_TLV_LENGTH_BYTES: usize = 3;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tlv::{encode, push_length};

    fn err(bytes: &[u8]) -> TlvError {
        decode(bytes).unwrap_err()
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
}
