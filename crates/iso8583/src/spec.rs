//! Field specifications: how each data element is laid out on the wire.
//!
//! A [`Spec`] is plain data, transcribed from pyiso8583 4.0.1 `iso8583/specs.py`; the codec in
//! [`crate::encode`] / [`crate::decode`] is generic over it. The two built-in specs are reached
//! through [`Profile`].

use std::fmt;
use std::str::FromStr;

use crate::tables;

/// How the length of a field is carried on the wire.
///
/// Both pyiso8583 profiles use ASCII decimal length prefixes only, so the prefix width in bytes is
/// the number of `L`s.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LenType {
    /// No prefix: the field is exactly `max_len` bytes (pyiso8583 `len_type` 0).
    Fixed,
    /// Two ASCII decimal digits of length, then the data (pyiso8583 `len_type` 2).
    LLVar,
    /// Three ASCII decimal digits of length, then the data (pyiso8583 `len_type` 3).
    LLLVar,
}

impl LenType {
    /// Width of the length prefix in bytes (0 for fixed fields).
    pub const fn prefix_width(self) -> usize {
        match self {
            LenType::Fixed => 0,
            LenType::LLVar => 2,
            LenType::LLLVar => 3,
        }
    }

    /// Short name used in error messages: "fixed", "LLVAR", "LLLVAR".
    pub const fn name(self) -> &'static str {
        match self {
            LenType::Fixed => "fixed",
            LenType::LLVar => "LLVAR",
            LenType::LLLVar => "LLLVAR",
        }
    }
}

/// Encoding of field data or of a length prefix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Enc {
    /// 7-bit ASCII text (pyiso8583 `"ascii"`): every byte must be below 0x80.
    Ascii,
    /// Raw bytes (pyiso8583 `"b"`): any byte value.
    Binary,
}

/// Layout of one field: length type, maximum (or fixed) length in bytes, encodings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FieldSpec {
    /// Fixed or variable length, and the width of the length prefix.
    pub len_type: LenType,
    /// Exact length of a fixed field, or maximum length of a variable field, in bytes.
    pub max_len: u16,
    /// Encoding of the data bytes.
    pub data_enc: Enc,
    /// Encoding of the length prefix (ASCII in both built-in profiles; unused for fixed fields).
    pub len_enc: Enc,
    /// Human-readable name of the field, as in pyiso8583.
    pub desc: &'static str,
}

/// A complete message layout: MTI, primary bitmap and data elements 1..=128.
///
/// Neither built-in profile has a message header (pyiso8583 `h` with `max_len` 0), so there is no
/// header entry here; link-level length headers are the transport's business.
#[derive(Debug, PartialEq, Eq)]
pub struct Spec {
    pub(crate) name: &'static str,
    pub(crate) mti: FieldSpec,
    pub(crate) primary_bitmap: FieldSpec,
    /// Index `n - 1` holds DE `n`; DE 1 is the secondary bitmap.
    pub(crate) fields: [FieldSpec; 128],
}

impl Spec {
    /// Name of the profile this spec belongs to ("ascii" or "binary").
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Layout of the message type indicator (4 ASCII digits in both profiles).
    pub fn mti(&self) -> &FieldSpec {
        &self.mti
    }

    /// Layout of the primary bitmap (8 raw bytes, or 16 hex characters).
    pub fn primary_bitmap(&self) -> &FieldSpec {
        &self.primary_bitmap
    }

    /// Layout of data element `de` (1..=128; DE 1 is the secondary bitmap), `None` outside.
    pub fn field(&self, de: u8) -> Option<&FieldSpec> {
        self.fields.get(usize::from(de).checked_sub(1)?)
    }
}

/// One of the two pyiso8583 4.0.1 specs this codec is byte-compatible with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Profile {
    /// pyiso8583 `default_ascii`: everything is ASCII text, bitmaps as 16 uppercase hex chars.
    Ascii,
    /// pyiso8583 `default`: ASCII fields, but bitmaps, PIN block (DE 52), ICC data (DE 55),
    /// MACs (DE 64/128) and DE 96 as raw bytes.
    Binary,
}

impl Profile {
    /// Both profiles, for tests and tools that iterate over them.
    pub const ALL: [Profile; 2] = [Profile::Ascii, Profile::Binary];

    /// The field table of this profile.
    pub fn spec(self) -> &'static Spec {
        match self {
            Profile::Ascii => &tables::ASCII,
            Profile::Binary => &tables::BINARY,
        }
    }

    /// Lower-case name, as accepted by [`FromStr`]: "ascii" or "binary".
    pub fn name(self) -> &'static str {
        match self {
            Profile::Ascii => "ascii",
            Profile::Binary => "binary",
        }
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Error of `Profile::from_str` for an unknown name.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown ISO 8583 profile '{0}' (expected 'ascii' or 'binary')")]
pub struct ParseProfileError(pub String);

impl FromStr for Profile {
    type Err = ParseProfileError;

    /// Accepts "ascii" or "binary", ignoring ASCII case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Profile::ALL
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| ParseProfileError(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_names_parse_back_to_the_same_profile() {
        for p in Profile::ALL {
            assert_eq!(p.name().parse::<Profile>(), Ok(p));
            assert_eq!(p.spec().name(), p.name());
        }
        assert_eq!("BINARY".parse::<Profile>(), Ok(Profile::Binary));
        let err = "ebcdic".parse::<Profile>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown ISO 8583 profile 'ebcdic' (expected 'ascii' or 'binary')"
        );
    }

    #[test]
    fn field_lookup_covers_exactly_1_to_128() {
        let spec = Profile::Binary.spec();
        assert!(spec.field(0).is_none());
        assert!(spec.field(129).is_none());
        assert!(spec.field(255).is_none());
        assert_eq!(spec.field(1).map(|f| f.desc), Some("Bitmap, Secondary"));
        assert_eq!(spec.field(128).map(|f| f.desc), Some("MAC"));
    }
}
