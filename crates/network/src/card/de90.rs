//! DE 90 (original data elements, n42): how a reversal, capture or refund names the message it
//! refers to. Layout (ISO 8583:1987): original MTI (4) + original STAN (6) + original DE 7
//! transmission date-time (10) + acquiring institution id (11, zero-padded on the left) +
//! forwarding institution id (11; paygate has none and sends zeros).

/// Total length of DE 90 in digits.
pub const DE90_DIGITS: usize = 42;
/// Width of an institution id inside DE 90, in digits.
pub const INSTITUTION_ID_DIGITS: usize = 11;

/// The parsed content of DE 90.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OriginalData {
    /// MTI of the original message, e.g. "0100".
    pub mti: String,
    /// STAN (DE 11) of the original message, 6 digits.
    pub stan: String,
    /// DE 7 of the original message, MMDDhhmmss.
    pub transmitted_at: String,
    /// Acquiring institution id (DE 32 of the original), 11 digits zero-padded.
    pub acquirer_id: String,
    /// Forwarding institution id, 11 digits.
    pub forwarding_id: String,
}

/// Why DE 90 could not be built or read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum De90Error {
    /// A part has the wrong width or is not all digits.
    #[error("DE 90 {part}: must be {digits} decimal digits")]
    BadPart {
        /// Which part: "original MTI", "original STAN", ...
        part: &'static str,
        /// Expected width in digits.
        digits: usize,
    },
}

impl OriginalData {
    /// Builds DE 90 for an original message; the acquirer id (1..=11 digits) is zero-padded.
    pub fn new(
        mti: &str,
        stan: &str,
        transmitted_at: &str,
        acquirer_id: &str,
    ) -> Result<Self, De90Error> {
        let data = OriginalData {
            mti: digits("original MTI", mti, 4)?.to_owned(),
            stan: digits("original STAN", stan, 6)?.to_owned(),
            transmitted_at: digits("original DE 7", transmitted_at, 10)?.to_owned(),
            acquirer_id: pad_institution(acquirer_id)?,
            forwarding_id: "0".repeat(INSTITUTION_ID_DIGITS),
        };
        Ok(data)
    }

    /// The 42-digit field value.
    pub fn encode(&self) -> String {
        format!(
            "{}{}{}{}{}",
            self.mti, self.stan, self.transmitted_at, self.acquirer_id, self.forwarding_id
        )
    }

    /// Reads a DE 90 value.
    pub fn decode(field: &[u8]) -> Result<Self, De90Error> {
        // ASCII only before splitting: `split_at` inside a multi-byte character panics (found
        // by the `de48_de90` fuzz target; regression in crates/fuzz/regressions/).
        let text = std::str::from_utf8(field)
            .ok()
            .filter(|t| t.len() == DE90_DIGITS && t.is_ascii())
            .ok_or(De90Error::BadPart {
                part: "field",
                digits: DE90_DIGITS,
            })?;
        let (mti, rest) = text.split_at(4);
        let (stan, rest) = rest.split_at(6);
        let (transmitted_at, rest) = rest.split_at(10);
        let (acquirer_id, forwarding_id) = rest.split_at(INSTITUTION_ID_DIGITS);
        Ok(OriginalData {
            mti: digits("original MTI", mti, 4)?.to_owned(),
            stan: digits("original STAN", stan, 6)?.to_owned(),
            transmitted_at: digits("original DE 7", transmitted_at, 10)?.to_owned(),
            acquirer_id: digits("acquirer id", acquirer_id, INSTITUTION_ID_DIGITS)?.to_owned(),
            forwarding_id: digits("forwarding id", forwarding_id, INSTITUTION_ID_DIGITS)?
                .to_owned(),
        })
    }
}

fn digits<'a>(part: &'static str, value: &'a str, width: usize) -> Result<&'a str, De90Error> {
    if value.len() == width && value.bytes().all(|b| b.is_ascii_digit()) {
        Ok(value)
    } else {
        Err(De90Error::BadPart {
            part,
            digits: width,
        })
    }
}

fn pad_institution(id: &str) -> Result<String, De90Error> {
    let bad = De90Error::BadPart {
        part: "acquirer id",
        digits: INSTITUTION_ID_DIGITS,
    };
    if id.is_empty() || id.len() > INSTITUTION_ID_DIGITS || !id.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(bad);
    }
    Ok(format!("{id:0>INSTITUTION_ID_DIGITS$}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn de90_is_42_digits_in_the_iso_order() {
        let d = OriginalData::new("0100", "000123", "0131235959", "123456").unwrap();
        let text = d.encode();
        assert_eq!(text, "010000012301312359590000012345600000000000");
        assert_eq!(text.len(), DE90_DIGITS);
        assert_eq!(OriginalData::decode(text.as_bytes()).unwrap(), d);
    }

    #[test]
    fn bad_parts_are_named() {
        let e = OriginalData::new("0100", "12345", "0131235959", "1").unwrap_err();
        assert_eq!(
            e.to_string(),
            "DE 90 original STAN: must be 6 decimal digits"
        );
        assert!(OriginalData::new("0100", "000001", "0131235959", "123456789012").is_err());
        assert!(OriginalData::new("0100", "000001", "0131235959", "").is_err());
        assert!(OriginalData::decode(b"0100").is_err());
        let mut bad = d42();
        bad.replace_range(10..11, "x");
        assert!(OriginalData::decode(bad.as_bytes()).is_err());
    }

    fn d42() -> String {
        "0".repeat(DE90_DIGITS)
    }
}
