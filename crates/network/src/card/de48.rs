//! DE 48 (additional data, private) as Mastercard-style subelements: each is a 2-digit tag, a
//! 2-digit length and that many characters of value, concatenated without separators.
//!
//! paygate uses this one scheme for everything card-not-present that has no standard field:
//! the CVC2, the 3-D Secure or ISP result (ECI, CAVV, transaction id, program) and wallet cryptograms (see
//! `docs/iso8583.md`).

/// Subelement carrying the ECI of a 3-D Secure authentication or wallet payment (2 digits).
pub const TAG_ECI: u8 = 42;
/// Subelement carrying the CAVV / AAV / wallet cryptogram, base64 (28 chars for 20 bytes).
pub const TAG_CAVV: u8 = 43;
/// Subelement carrying the 3-D Secure Directory Server transaction id (dsTransID), the
/// 36-character UUID that names the authentication whose CAVV is in [`TAG_CAVV`].
pub const TAG_DS_TRANS_ID: u8 = 44;
/// Subelement carrying the authentication program when it is not 3-D Secure ("isp"); the
/// transaction id in [`TAG_DS_TRANS_ID`] then names that program's verification.
pub const TAG_AUTH_PROGRAM: u8 = 45;
/// Subelement carrying the stored-credential usage: "I" initial (customer-initiated, the card
/// is being stored), "R" recurring or "U" unscheduled (merchant-initiated).
pub const TAG_STORED_CREDENTIAL: u8 = 46;
/// Subelement carrying the RRN (12 characters) of the initial use of a stored credential,
/// sent with a merchant-initiated use.
pub const TAG_ORIGINAL_RRN: u8 = 47;
/// Subelement carrying 할부, the number of monthly instalments a Korean issuer splits the
/// payment into: 2 digits, `02` to `12`; absent = paid at once (일시불).
pub const TAG_INSTALLMENTS: u8 = 50;
/// Subelement carrying the card verification code (CVC2 / CVV2 / CID), 3 or 4 digits.
pub const TAG_CVC2: u8 = 92;
/// In an answer to a device-token (wallet) authorization: the last 4 digits of the funding card
/// the token stands for (the network's token service knows it; the acquirer never sees the
/// funding card's number).
pub const TAG_FUNDING_LAST4: u8 = 33;

/// Largest subelement value, in characters (the length is 2 decimal digits).
pub const MAX_SUBELEMENT_CHARS: usize = 99;
/// Width of the tag plus the length of one subelement, in characters.
const SUBELEMENT_HEADER_CHARS: usize = 4;

/// Why DE 48 could not be built or read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum De48Error {
    /// A tag is not in 0..=99.
    #[error("DE 48 subelement tag {tag} is not 2 decimal digits")]
    BadTag {
        /// The offending tag.
        tag: u8,
    },
    /// A value is longer than [`MAX_SUBELEMENT_CHARS`] or not printable ASCII.
    #[error(
        "DE 48 subelement {tag}: value must be 1..={MAX_SUBELEMENT_CHARS} printable ASCII characters"
    )]
    BadValue {
        /// Tag of the offending subelement.
        tag: u8,
    },
    /// The field ends inside a subelement header or value, or a header is not decimal.
    #[error("DE 48 is malformed at offset {offset}: expected tag(2) len(2) value")]
    Malformed {
        /// Character offset where parsing stopped.
        offset: usize,
    },
}

/// Concatenates `(tag, value)` subelements in the given order.
pub fn encode(subelements: &[(u8, &str)]) -> Result<String, De48Error> {
    let mut out = String::new();
    for &(tag, value) in subelements {
        if tag > 99 {
            return Err(De48Error::BadTag { tag });
        }
        if !valid_value(value) {
            return Err(De48Error::BadValue { tag });
        }
        out.push_str(&format!("{tag:02}{:02}{value}", value.len()));
    }
    Ok(out)
}

/// Splits DE 48 into `(tag, value)` subelements, refusing any trailing or missing bytes.
pub fn decode(field: &[u8]) -> Result<Vec<(u8, String)>, De48Error> {
    let mut out = Vec::new();
    let mut offset = 0;
    while offset < field.len() {
        let malformed = De48Error::Malformed { offset };
        let header = field
            .get(offset..offset + SUBELEMENT_HEADER_CHARS)
            .ok_or(malformed.clone())?;
        let tag = two_digits(&header[..2]).ok_or(malformed.clone())?;
        let len = usize::from(two_digits(&header[2..]).ok_or(malformed.clone())?);
        let start = offset + SUBELEMENT_HEADER_CHARS;
        let value = field.get(start..start + len).ok_or(malformed.clone())?;
        let value = std::str::from_utf8(value).map_err(|_| malformed)?;
        // The same rule as `encode`: what is read can be sent again (found by the
        // `de48_de90` fuzz target: an empty or control-character value was accepted).
        if !valid_value(value) {
            return Err(De48Error::BadValue { tag });
        }
        out.push((tag, value.to_owned()));
        offset = start + len;
    }
    Ok(out)
}

/// The value of subelement `tag`, if present (first occurrence).
pub fn find(subelements: &[(u8, String)], tag: u8) -> Option<&str> {
    subelements
        .iter()
        .find(|(t, _)| *t == tag)
        .map(|(_, v)| v.as_str())
}

/// 1..=99 printable ASCII characters (space included).
fn valid_value(value: &str) -> bool {
    let printable = value.bytes().all(|b| b.is_ascii_graphic() || b == b' ');
    !value.is_empty() && value.len() <= MAX_SUBELEMENT_CHARS && printable
}

fn two_digits(b: &[u8]) -> Option<u8> {
    match b {
        [h, l] if h.is_ascii_digit() && l.is_ascii_digit() => Some((h - b'0') * 10 + (l - b'0')),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_refuses_what_encode_refuses() {
        assert_eq!(decode(b"4200"), Err(De48Error::BadValue { tag: 42 }));
        assert_eq!(decode(b"4201\x01"), Err(De48Error::BadValue { tag: 42 }));
        assert_eq!(decode(b"420205"), Ok(vec![(42, "05".to_owned())]));
    }

    #[test]
    fn subelements_round_trip_in_order() {
        let cavv = "kJMZRiDunhPsBwAU0hu9rrx0eWN6";
        let field = encode(&[(TAG_CVC2, "123"), (TAG_ECI, "05"), (TAG_CAVV, cavv)]).unwrap();
        assert_eq!(field, format!("920312342020543{}{cavv}", cavv.len()));
        let parsed = decode(field.as_bytes()).unwrap();
        assert_eq!(find(&parsed, TAG_CVC2), Some("123"));
        assert_eq!(find(&parsed, TAG_ECI), Some("05"));
        assert_eq!(find(&parsed, TAG_CAVV), Some(cavv));
        assert_eq!(find(&parsed, 1), None);
    }

    #[test]
    fn truncated_or_non_decimal_headers_are_malformed() {
        for bad in [&b"9203"[..], b"920312", b"92", b"9x03123", b"92031234"] {
            assert!(
                matches!(decode(bad), Err(De48Error::Malformed { .. })),
                "{bad:?}"
            );
        }
        assert_eq!(decode(b"").unwrap(), vec![]);
    }

    #[test]
    fn encode_refuses_bad_tags_and_values() {
        assert_eq!(encode(&[(100, "1")]), Err(De48Error::BadTag { tag: 100 }));
        assert_eq!(encode(&[(92, "")]), Err(De48Error::BadValue { tag: 92 }));
        assert_eq!(
            encode(&[(92, "1\n2")]),
            Err(De48Error::BadValue { tag: 92 })
        );
        let long = "1".repeat(MAX_SUBELEMENT_CHARS + 1);
        assert_eq!(encode(&[(43, &long)]), Err(De48Error::BadValue { tag: 43 }));
    }
}
