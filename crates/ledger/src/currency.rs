//! ISO 4217 currencies with their minor-unit exponent.

use std::fmt;

use crate::error::LedgerError;

/// Largest amount of one charge, capture or refund, in major units (scaled by the
/// exponent in [`Currency::max_amount`]). Eight nines, as card APIs commonly allow.
pub const CHARGE_MAJOR_UNITS_MAX: i64 = 99_999_999;
/// Largest amount of one ledger posting, in major units. Larger than a charge because
/// settlements and payouts aggregate many charges; small enough that 16 postings at the
/// limit in the 3-decimal currencies still sum far inside `i64`.
pub const POSTING_MAJOR_UNITS_MAX: i64 = 999_999_999_999;

/// A supported ISO 4217 currency: lowercase alpha code, numeric code, minor-unit exponent.
/// Only values from the built-in table exist; get one with [`Currency::parse`] or a
/// constant such as [`Currency::KRW`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency {
    code: &'static str,
    numeric: u16,
    exponent: u8,
}

macro_rules! currencies {
    ($($name:ident = ($code:literal, $numeric:literal, $exp:literal);)*) => {
        impl Currency {
            $(
                #[doc = concat!("ISO 4217 `", $code, "` (", stringify!($numeric), "), exponent ", stringify!($exp), ".")]
                pub const $name: Currency = Currency { code: $code, numeric: $numeric, exponent: $exp };
            )*
            /// Every supported currency, in table order.
            pub const ALL: &'static [Currency] = &[$(Currency::$name),*];
        }
    };
}

// Exponents per ISO 4217 (the ISO value, not a processor's rounding convention: e.g. TWD,
// IDR and ISK are listed as ISO has them).
currencies! {
    KRW = ("krw", 410, 0);
    JPY = ("jpy", 392, 0);
    USD = ("usd", 840, 2);
    EUR = ("eur", 978, 2);
    GBP = ("gbp", 826, 2);
    CNY = ("cny", 156, 2);
    HKD = ("hkd", 344, 2);
    SGD = ("sgd", 702, 2);
    AUD = ("aud", 36, 2);
    CAD = ("cad", 124, 2);
    CHF = ("chf", 756, 2);
    TWD = ("twd", 901, 2);
    THB = ("thb", 764, 2);
    VND = ("vnd", 704, 0);
    IDR = ("idr", 360, 2);
    PHP = ("php", 608, 2);
    INR = ("inr", 356, 2);
    KWD = ("kwd", 414, 3);
    BHD = ("bhd", 48, 3);
    JOD = ("jod", 400, 3);
    OMR = ("omr", 512, 3);
    TND = ("tnd", 788, 3);
    CLP = ("clp", 152, 0);
    ISK = ("isk", 352, 0);
    UGX = ("ugx", 800, 0);
    MYR = ("myr", 458, 2);
    NZD = ("nzd", 554, 2);
    MXN = ("mxn", 484, 2);
    BRL = ("brl", 986, 2);
    SEK = ("sek", 752, 2);
    NOK = ("nok", 578, 2);
    DKK = ("dkk", 208, 2);
    PLN = ("pln", 985, 2);
    AED = ("aed", 784, 2);
    SAR = ("sar", 682, 2);
    ZAR = ("zar", 710, 2);
    XOF = ("xof", 952, 0);
    XAF = ("xaf", 950, 0);
    PYG = ("pyg", 600, 0);
    RWF = ("rwf", 646, 0);
}

impl Currency {
    /// Looks up a three-letter code, ignoring ASCII case (`"KRW"`, `"krw"`, `"Krw"`).
    /// Anything else, including surrounding spaces, is an error naming `currency`.
    pub fn parse(s: &str) -> Result<Currency, LedgerError> {
        Currency::ALL
            .iter()
            .find(|c| c.code.eq_ignore_ascii_case(s))
            .copied()
            .ok_or_else(|| LedgerError::UnknownCurrency {
                // Echo at most a short prefix: the input is untrusted.
                input: s.chars().take(16).collect(),
            })
    }

    /// Looks up an ISO 4217 numeric code (as carried in ISO 8583 DE 49).
    pub fn from_numeric(numeric: u16) -> Option<Currency> {
        Currency::ALL.iter().find(|c| c.numeric == numeric).copied()
    }

    /// Lowercase alpha code (`"krw"`).
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// ISO 4217 numeric code (`410` for KRW).
    pub fn numeric(&self) -> u16 {
        self.numeric
    }

    /// Minor-unit exponent: 0 for KRW/JPY, 2 for USD, 3 for KWD.
    pub fn exponent(&self) -> u8 {
        self.exponent
    }

    /// Largest amount of one charge, capture or refund, in minor units:
    /// [`CHARGE_MAJOR_UNITS_MAX`] (99,999,999) major units × 10^exponent. So
    /// ₩99,999,999 = 99_999_999, $99,999,999.00 = 9_999_999_900, and
    /// KWD 99,999,999.000 = 99_999_999_000.
    pub fn max_amount(&self) -> i64 {
        CHARGE_MAJOR_UNITS_MAX * self.scale()
    }

    /// Largest amount of one ledger posting (settlements and payouts aggregate charges):
    /// [`POSTING_MAJOR_UNITS_MAX`] major units × 10^exponent.
    pub fn max_posting_amount(&self) -> i64 {
        POSTING_MAJOR_UNITS_MAX * self.scale()
    }

    fn scale(&self) -> i64 {
        10i64.pow(u32::from(self.exponent))
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Currency({})", self.code)
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code)
    }
}

impl PartialEq<str> for Currency {
    fn eq(&self, other: &str) -> bool {
        self.code == other
    }
}

impl PartialEq<&str> for Currency {
    fn eq(&self, other: &&str) -> bool {
        self.code == *other
    }
}

impl serde::Serialize for Currency {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code)
    }
}

impl<'de> serde::Deserialize<'de> for Currency {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Currency::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_has_unique_codes_and_numerics_and_lowercase_codes() {
        for (i, a) in Currency::ALL.iter().enumerate() {
            assert_eq!(a.code.len(), 3);
            assert!(a.code.bytes().all(|b| b.is_ascii_lowercase()), "{a}");
            assert!(a.exponent <= 3);
            for b in &Currency::ALL[i + 1..] {
                assert_ne!(a.code, b.code);
                assert_ne!(a.numeric, b.numeric, "{a} and {b}");
            }
        }
    }

    #[test]
    fn posting_limits_cannot_overflow_an_entry_sum() {
        for c in Currency::ALL {
            let sixteen = c.max_posting_amount().checked_mul(16);
            assert!(sixteen.is_some(), "{c}");
            assert!(c.max_amount() < c.max_posting_amount());
        }
    }
}
