//! [`Message`]: an MTI plus the raw bytes of each present data element.

use std::collections::BTreeMap;
use std::fmt;

use crate::error::{EncodeError, FieldId};

/// Data elements whose value `Debug` never shows: track data (35, 36, 45), extended PAN (34),
/// additional private data (48, where paygate carries the CVC), PIN block (52) and ICC data
/// (55, which can hold tags 5A PAN and 57 track 2 equivalent).
pub const MASKED_FIELDS: [u8; 7] = [34, 35, 36, 45, 48, 52, 55];

/// The PAN field; `Debug` shows only its first 6 and last 4 characters.
const PAN_FIELD: u8 = 2;

/// An ISO 8583 message independent of its wire profile.
///
/// Values are the field bytes as they travel, without length prefix: text for ASCII fields
/// (e.g. DE 4 `b"000000001000"`), raw bytes for binary fields (e.g. DE 52 in
/// [`Profile::Binary`](crate::Profile::Binary)). Field numbers and lengths are checked by
/// [`encode`](crate::encode) against the profile's spec, not when setting, so the setters can
/// chain. DE 1 (secondary bitmap) and the primary bitmap are computed by the encoder and never
/// stored.
///
/// `Debug` masks card data (see [`MASKED_FIELDS`]); there is deliberately no `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct Message {
    /// Always 4 ASCII digits (checked by [`Message::new`] and the decoder).
    mti: String,
    fields: BTreeMap<u8, Vec<u8>>,
}

impl Message {
    /// An empty message with the given MTI, which must be 4 ASCII decimal digits (e.g. "0100").
    pub fn new(mti: &str) -> Result<Message, EncodeError> {
        if mti.len() != 4 || !mti.bytes().all(|b| b.is_ascii_digit()) {
            return Err(EncodeError::field(
                FieldId::Mti,
                "MTI must be 4 decimal digits",
            ));
        }
        Ok(Message {
            mti: mti.to_owned(),
            fields: BTreeMap::new(),
        })
    }

    /// The message type indicator, 4 ASCII digits.
    pub fn mti(&self) -> &str {
        &self.mti
    }

    /// Sets data element `de` to `value` (raw field bytes), replacing any previous value.
    pub fn set(&mut self, de: u8, value: impl Into<Vec<u8>>) -> &mut Self {
        self.fields.insert(de, value.into());
        self
    }

    /// Sets data element `de` to the bytes of `value`.
    pub fn set_str(&mut self, de: u8, value: &str) -> &mut Self {
        self.set(de, value.as_bytes())
    }

    /// The bytes of data element `de`, if present.
    pub fn get(&self, de: u8) -> Option<&[u8]> {
        self.fields.get(&de).map(Vec::as_slice)
    }

    /// Data element `de` as text; `None` if absent or not valid UTF-8.
    pub fn get_str(&self, de: u8) -> Option<&str> {
        self.get(de).and_then(|v| std::str::from_utf8(v).ok())
    }

    /// Removes data element `de`, returning its bytes if it was present.
    pub fn remove(&mut self, de: u8) -> Option<Vec<u8>> {
        self.fields.remove(&de)
    }

    /// Whether data element `de` is present.
    pub fn has(&self, de: u8) -> bool {
        self.fields.contains_key(&de)
    }

    /// Present data elements in ascending order.
    pub fn fields(&self) -> impl Iterator<Item = (u8, &[u8])> {
        self.fields.iter().map(|(&de, v)| (de, v.as_slice()))
    }

    /// Builds a message from parts the decoder has already checked.
    pub(crate) fn from_parts(mti: String, fields: BTreeMap<u8, Vec<u8>>) -> Message {
        Message { mti, fields }
    }
}

impl fmt::Debug for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        map.entry(&format_args!("MTI"), &self.mti);
        for (de, value) in self.fields() {
            map.entry(&format_args!("DE {de}"), &ShownValue { de, value });
        }
        map.finish()
    }
}

/// One field value as `Debug` shows it: masked card data, text, or hex for binary values.
struct ShownValue<'a> {
    de: u8,
    value: &'a [u8],
}

impl fmt::Debug for ShownValue<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let len = self.value.len();
        if MASKED_FIELDS.contains(&self.de) {
            return write!(f, "<masked, {len} bytes>");
        }
        if self.de == PAN_FIELD {
            return write!(f, "\"{}\"", MaskedPan(self.value));
        }
        if self
            .value
            .iter()
            .all(|b| b.is_ascii_graphic() || *b == b' ')
        {
            return write!(f, "\"{}\"", self.value.escape_ascii());
        }
        f.write_str("0x")?;
        self.value.iter().try_for_each(|b| write!(f, "{b:02X}"))
    }
}

/// A PAN showing at most the first 6 and last 4 characters (PCI DSS truncation). Values shorter
/// than 13 bytes are not real PANs and showing 10 of them would reveal nearly all: mask fully.
struct MaskedPan<'a>(&'a [u8]);

impl fmt::Display for MaskedPan<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const SHOWN_HEAD: usize = 6;
        const SHOWN_TAIL: usize = 4;
        const MIN_LEN_TO_SHOW: usize = 13;
        let pan = self.0;
        let printable = pan.iter().all(u8::is_ascii_graphic);
        match (pan.get(..SHOWN_HEAD), pan.len().checked_sub(SHOWN_TAIL)) {
            (Some(head), Some(tail_start)) if pan.len() >= MIN_LEN_TO_SHOW && printable => {
                let tail = pan.get(tail_start..).unwrap_or_default();
                let hidden = pan.len().saturating_sub(SHOWN_HEAD + SHOWN_TAIL);
                write!(f, "{}", head.escape_ascii())?;
                (0..hidden).try_for_each(|_| f.write_str("*"))?;
                write!(f, "{}", tail.escape_ascii())
            }
            _ => (0..pan.len()).try_for_each(|_| f.write_str("*")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Message {
        let mut m = Message::new("0100").unwrap();
        m.set_str(2, "4111111111111111")
            .set_str(4, "000000001000")
            .set_str(35, "4111111111111111=25121011234")
            .set_str(45, "B4111111111111111^DOE/JOHN^2512101")
            .set_str(48, "CVC123")
            .set(52, vec![0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0])
            .set(64, vec![0xab; 8]);
        m
    }

    #[test]
    fn new_accepts_only_four_digit_mtis() {
        assert!(Message::new("0100").is_ok());
        for bad in ["", "100", "01000", "01a0", "０１００"] {
            let err = Message::new(bad).unwrap_err();
            assert_eq!(
                err.to_string(),
                "MTI: MTI must be 4 decimal digits",
                "{bad:?}"
            );
        }
    }

    #[test]
    fn setters_getters_and_removal_work_on_raw_bytes() {
        let mut m = sample();
        assert_eq!(m.mti(), "0100");
        assert_eq!(m.get_str(4), Some("000000001000"));
        assert_eq!(m.get(52).map(<[u8]>::len), Some(8));
        assert_eq!(m.get_str(52), None, "binary PIN block is not UTF-8");
        assert!(m.has(35));
        assert_eq!(
            m.remove(35).as_deref(),
            Some(&b"4111111111111111=25121011234"[..])
        );
        assert!(!m.has(35));
        assert_eq!(m.remove(35), None);
        let order: Vec<u8> = m.fields().map(|(de, _)| de).collect();
        assert_eq!(order, [2, 4, 45, 48, 52, 64]);
    }

    #[test]
    fn debug_never_prints_card_data() {
        let shown = format!("{:?}", sample());
        assert!(shown.contains("\"411111******1111\""), "{shown}");
        for secret in [
            "4111111111111111",
            "25121011234",
            "DOE/JOHN",
            "CVC123",
            "12345678",
        ] {
            assert!(!shown.contains(secret), "{secret} leaked in {shown}");
        }
        assert!(
            shown.starts_with("{MTI: \"0100\", DE 2: \"411111******1111\""),
            "{shown}"
        );
        assert!(shown.contains("DE 48: <masked, 6 bytes>"), "{shown}");
        assert!(shown.contains("DE 64: 0xABABABABABABABAB"), "{shown}");
        assert!(shown.contains("DE 4: \"000000001000\""), "{shown}");
        let pretty = format!("{:#?}", sample());
        assert!(!pretty.contains("4111111111111111"), "{pretty}");
    }

    #[test]
    fn debug_masks_short_or_odd_pans_entirely() {
        let mut m = Message::new("0100").unwrap();
        m.set_str(2, "4111111111");
        assert!(format!("{m:?}").contains("\"**********\""));
        m.set(2, b"4111111111\n111111".to_vec());
        assert!(format!("{m:?}").contains("\"*****************\""));
    }
}
