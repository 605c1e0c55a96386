//! Fixed-length telegrams (전문) in the style of Korean bank and VAN links: a message is a
//! sequence of fields of fixed byte length, described as data ([`Field`], a [`Layout`] is a
//! slice of them), and travels behind a 4-digit ASCII length header ([`frame`]).
//!
//! - `N` (numeric) fields hold ASCII digits only, right-aligned and zero-padded;
//! - `AN` (alphanumeric) fields hold text left-aligned and space-padded. Real bank links send
//!   Korean names in EUC-KR; this codec writes UTF-8 and never cuts a character in two, so a
//!   field's length is in bytes and a name may hold fewer characters than bytes.
//!
//! This crate is the codec only: which fields a message has is each side's own mapping (the
//! bank simulator's and the gateway connector's), so a mistake in one fails against the other.

pub mod frame;

use std::collections::BTreeMap;

/// How a field's bytes are read and padded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// ASCII digits, right-aligned, zero-padded.
    N,
    /// Text (UTF-8), left-aligned, space-padded.
    An,
}

/// One fixed-length field of a layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Field {
    pub name: &'static str,
    pub kind: Kind,
    /// Length in bytes.
    pub len: usize,
}

/// A numeric field.
pub const fn n(name: &'static str, len: usize) -> Field {
    Field {
        name,
        kind: Kind::N,
        len,
    }
}

/// An alphanumeric field.
pub const fn an(name: &'static str, len: usize) -> Field {
    Field {
        name,
        kind: Kind::An,
        len,
    }
}

/// The fields of one message, in order.
pub type Layout = [Field];

/// Total byte length of a layout.
pub fn layout_len(layout: &Layout) -> usize {
    layout.iter().map(|f| f.len).sum()
}

/// Field values by name; numeric values without their padding, text without trailing spaces.
pub type Values = BTreeMap<&'static str, String>;

/// What is wrong with a telegram or a value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TelegramError {
    #[error("field {field}: {value:?} is not numeric")]
    NotNumeric { field: &'static str, value: String },
    #[error("field {field}: {len} bytes do not fit in {max}")]
    TooLong {
        field: &'static str,
        len: usize,
        max: usize,
    },
    #[error("field {field} has no value")]
    Missing { field: &'static str },
    #[error("field {field} is not UTF-8")]
    NotText { field: &'static str },
    #[error("telegram of {got} bytes, layout needs {want}")]
    Length { got: usize, want: usize },
}

/// Writes `values` in `layout` order. Numeric values must be digits and fit; text longer than
/// its field is refused (never silently cut), so an account number or name is never altered.
pub fn encode(layout: &Layout, values: &Values) -> Result<Vec<u8>, TelegramError> {
    let mut out = Vec::with_capacity(layout_len(layout));
    for f in layout {
        let v = values
            .get(f.name)
            .ok_or(TelegramError::Missing { field: f.name })?;
        let bytes = v.as_bytes();
        if bytes.len() > f.len {
            return Err(TelegramError::TooLong {
                field: f.name,
                len: bytes.len(),
                max: f.len,
            });
        }
        match f.kind {
            Kind::N => {
                if !bytes.iter().all(u8::is_ascii_digit) {
                    return Err(TelegramError::NotNumeric {
                        field: f.name,
                        value: v.clone(),
                    });
                }
                out.extend(std::iter::repeat_n(b'0', f.len - bytes.len()));
                out.extend_from_slice(bytes);
            }
            Kind::An => {
                out.extend_from_slice(bytes);
                out.extend(std::iter::repeat_n(b' ', f.len - bytes.len()));
            }
        }
    }
    debug_assert_eq!(out.len(), layout_len(layout));
    Ok(out)
}

/// Reads a telegram of exactly the layout's length (no trailing bytes are accepted).
pub fn decode(layout: &Layout, bytes: &[u8]) -> Result<Values, TelegramError> {
    let want = layout_len(layout);
    if bytes.len() != want {
        return Err(TelegramError::Length {
            got: bytes.len(),
            want,
        });
    }
    let mut values = Values::new();
    let mut at = 0;
    for f in layout {
        let raw = &bytes[at..at + f.len];
        at += f.len;
        let text =
            std::str::from_utf8(raw).map_err(|_| TelegramError::NotText { field: f.name })?;
        let value = match f.kind {
            Kind::N => {
                if !raw.iter().all(u8::is_ascii_digit) {
                    return Err(TelegramError::NotNumeric {
                        field: f.name,
                        value: text.to_string(),
                    });
                }
                let trimmed = text.trim_start_matches('0');
                if trimmed.is_empty() { "0" } else { trimmed }.to_string()
            }
            Kind::An => text.trim_end_matches(' ').to_string(),
        };
        values.insert(f.name, value);
    }
    Ok(values)
}

/// Cuts `text` to at most `max` bytes at a character boundary (for names a counterparty
/// shows, never for identifiers).
pub fn fit(text: &str, max: usize) -> String {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const L: &Layout = &[n("kind", 4), an("name", 10), n("amount", 6)];

    fn vals(kind: &str, name: &str, amount: &str) -> Values {
        Values::from([
            ("kind", kind.to_string()),
            ("name", name.to_string()),
            ("amount", amount.to_string()),
        ])
    }

    #[test]
    fn numeric_fields_are_zero_padded_and_text_space_padded() {
        let b = encode(L, &vals("1100", "홍길동", "5000")).unwrap();
        assert_eq!(b.len(), 20);
        assert_eq!(&b[..4], b"1100");
        assert_eq!(&b[4..13], "홍길동".as_bytes());
        assert_eq!(&b[13..14], b" ");
        assert_eq!(&b[14..], b"005000");
        assert_eq!(decode(L, &b).unwrap(), vals("1100", "홍길동", "5000"));
    }

    #[test]
    fn a_value_that_does_not_fit_or_is_not_numeric_is_refused() {
        assert!(matches!(
            encode(L, &vals("1100", "abcdefghijk", "1")),
            Err(TelegramError::TooLong { field: "name", .. })
        ));
        assert!(matches!(
            encode(L, &vals("11a0", "x", "1")),
            Err(TelegramError::NotNumeric { field: "kind", .. })
        ));
        assert!(matches!(
            encode(L, &Values::new()),
            Err(TelegramError::Missing { field: "kind" })
        ));
    }

    #[test]
    fn a_telegram_of_the_wrong_length_or_with_letters_in_a_number_is_refused() {
        assert!(matches!(
            decode(L, b"1100"),
            Err(TelegramError::Length { got: 4, want: 20 })
        ));
        assert!(matches!(
            decode(L, b"1100name      00x000"),
            Err(TelegramError::NotNumeric {
                field: "amount",
                ..
            })
        ));
    }

    #[test]
    fn fit_never_cuts_a_character() {
        assert_eq!(fit("홍길동", 7), "홍길");
        assert_eq!(fit("abc", 10), "abc");
    }
}
