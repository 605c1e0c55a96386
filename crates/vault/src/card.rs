//! Card-data domain types: [`Pan`], [`Brand`], [`Expiry`], [`Cvc`] and [`CardError`].
//!
//! Only valid values can exist: every constructor checks the rules of
//! `shared/specs/protocols.md` §6 (Luhn, brand ranges and lengths).

use std::fmt;
use std::str::FromStr;

use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::secret::Secret;

/// Shortest PAN accepted (ISO/IEC 7812 allows 8, but no scheme we route issues < 12).
pub const PAN_LEN_MIN: usize = 12;
/// Longest PAN accepted (ISO/IEC 7812).
pub const PAN_LEN_MAX: usize = 19;
/// Longest raw card-number input accepted before separators are stripped; bounds the work
/// done on hostile input.
pub const PAN_INPUT_CHARS_MAX: usize = 64;

/// Why a card field was rejected. Messages name the rule, never the card number.
///
/// [`CardError::code`] and [`CardError::param`] give the Stripe-style machine code and the
/// request parameter for the API error envelope.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CardError {
    /// The number contains something other than digits, spaces and dashes.
    #[error("Your card number is invalid: it may contain only digits, spaces and dashes.")]
    NumberNotDigits,
    /// The raw input is longer than [`PAN_INPUT_CHARS_MAX`].
    #[error("Your card number is invalid: the input may be at most {max_chars} characters long.")]
    NumberInputTooLong {
        /// The limit, in characters.
        max_chars: usize,
    },
    /// The number has fewer than 12 or more than 19 digits.
    #[error("Your card number is invalid: it must have 12 to 19 digits, not {digits}.")]
    NumberLength {
        /// How many digits the input had.
        digits: usize,
    },
    /// The number's length does not fit its brand (e.g. an Amex number that is not 15 long).
    #[error("Your card number is invalid: {brand_name} numbers have {expected} digits, not {digits}.", brand_name = brand.display_name())]
    BrandLength {
        /// The brand the prefix belongs to.
        brand: Brand,
        /// The lengths the brand allows, for the message (e.g. "15", "16 to 19").
        expected: &'static str,
        /// How many digits the input had.
        digits: usize,
    },
    /// The Luhn check digit does not match.
    #[error("Your card number is incorrect: its check digit does not match (Luhn check).")]
    IncorrectNumber,
    /// Month outside 1..=12.
    #[error("Your card's expiration month is invalid: it must be between 1 and 12.")]
    ExpiryMonth,
    /// Year neither two digits nor within 2000..=2099.
    #[error(
        "Your card's expiration year is invalid: it must be two digits (00 to 99) or a year from 2000 to 2099."
    )]
    ExpiryYear,
    /// The security code has the wrong length or contains a non-digit.
    #[error("Your card's security code is invalid: it must be {expected} digits.")]
    Cvc {
        /// The lengths allowed for the brand, for the message ("3", "4" or "3 or 4").
        expected: &'static str,
    },
}

impl CardError {
    /// Stripe-style machine code: `incorrect_number`, `invalid_number`,
    /// `invalid_expiry_month`, `invalid_expiry_year` or `invalid_cvc`.
    pub fn code(&self) -> &'static str {
        match self {
            CardError::NumberNotDigits
            | CardError::NumberInputTooLong { .. }
            | CardError::NumberLength { .. }
            | CardError::BrandLength { .. } => "invalid_number",
            CardError::IncorrectNumber => "incorrect_number",
            CardError::ExpiryMonth => "invalid_expiry_month",
            CardError::ExpiryYear => "invalid_expiry_year",
            CardError::Cvc { .. } => "invalid_cvc",
        }
    }

    /// The request parameter at fault: `number`, `exp_month`, `exp_year` or `cvc`.
    pub fn param(&self) -> &'static str {
        match self {
            CardError::NumberNotDigits
            | CardError::NumberInputTooLong { .. }
            | CardError::NumberLength { .. }
            | CardError::BrandLength { .. }
            | CardError::IncorrectNumber => "number",
            CardError::ExpiryMonth => "exp_month",
            CardError::ExpiryYear => "exp_year",
            CardError::Cvc { .. } => "cvc",
        }
    }
}

/// Card brand, detected from the IIN prefix (protocols.md §6.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Brand {
    /// Prefix 4.
    Visa,
    /// Prefixes 51–55 and 2221–2720.
    Mastercard,
    /// Prefixes 34, 37.
    Amex,
    /// Prefixes 3528–3589.
    Jcb,
    /// Prefixes 62 and 81 (81 is UNVERIFIED in the spec).
    UnionPay,
    /// Prefixes 300–305, 3095, 36, 38–39.
    Diners,
    /// Prefixes 6011, 622126–622925, 644–649, 65.
    Discover,
    /// Korean domestic-only cards (국내전용): prefix 9, 16 digits.
    KoreanDomestic,
    /// Any other prefix (e.g. Maestro); only the general 12–19 length rule applies.
    Unknown,
}

impl Brand {
    /// Every brand, for tables and tests.
    pub const ALL: [Brand; 9] = [
        Brand::Visa,
        Brand::Mastercard,
        Brand::Amex,
        Brand::Jcb,
        Brand::UnionPay,
        Brand::Diners,
        Brand::Discover,
        Brand::KoreanDomestic,
        Brand::Unknown,
    ];

    /// Machine name as Stripe spells it (`visa`, `mastercard`, `amex`, `jcb`, `unionpay`,
    /// `diners`, `discover`), plus `kr_domestic` and `unknown`.
    pub fn as_str(self) -> &'static str {
        match self {
            Brand::Visa => "visa",
            Brand::Mastercard => "mastercard",
            Brand::Amex => "amex",
            Brand::Jcb => "jcb",
            Brand::UnionPay => "unionpay",
            Brand::Diners => "diners",
            Brand::Discover => "discover",
            Brand::KoreanDomestic => "kr_domestic",
            Brand::Unknown => "unknown",
        }
    }

    /// Inverse of [`Brand::as_str`].
    pub fn parse(s: &str) -> Option<Brand> {
        Brand::ALL.into_iter().find(|b| b.as_str() == s)
    }

    /// Human name for messages ("American Express").
    pub fn display_name(self) -> &'static str {
        match self {
            Brand::Visa => "Visa",
            Brand::Mastercard => "Mastercard",
            Brand::Amex => "American Express",
            Brand::Jcb => "JCB",
            Brand::UnionPay => "UnionPay",
            Brand::Diners => "Diners Club",
            Brand::Discover => "Discover",
            Brand::KoreanDomestic => "Korean domestic",
            Brand::Unknown => "unknown-brand",
        }
    }

    /// Detects the brand from the leading digits of a PAN (ASCII digits expected; anything
    /// else gives `Unknown`). Specific ranges are tested before general ones, as §6.2
    /// requires: Discover's 622126–622925 before UnionPay's 62.
    pub fn detect(digits: &str) -> Brand {
        let p = |n: usize| prefix(digits, n);
        let in_range = |n: usize, lo: u32, hi: u32| p(n).is_some_and(|v| (lo..=hi).contains(&v));
        if matches!(p(2), Some(34 | 37)) {
            Brand::Amex
        } else if in_range(4, 3528, 3589) {
            Brand::Jcb
        } else if in_range(3, 300, 305) || p(4) == Some(3095) || matches!(p(2), Some(36 | 38 | 39))
        {
            Brand::Diners
        } else if p(4) == Some(6011)
            || in_range(6, 622_126, 622_925)
            || in_range(3, 644, 649)
            || p(2) == Some(65)
        {
            Brand::Discover
        } else if matches!(p(2), Some(62 | 81)) {
            Brand::UnionPay
        } else if in_range(2, 51, 55) || in_range(4, 2221, 2720) {
            Brand::Mastercard
        } else if p(1) == Some(4) {
            Brand::Visa
        } else if p(1) == Some(9) {
            Brand::KoreanDomestic
        } else {
            Brand::Unknown
        }
    }

    /// PAN lengths the brand allows, and the same as text for error messages.
    fn lengths(self) -> (&'static [usize], &'static str) {
        match self {
            Brand::Visa => (&[13, 16, 19], "13, 16 or 19"),
            Brand::Mastercard | Brand::KoreanDomestic => (&[16], "16"),
            Brand::Amex => (&[15], "15"),
            Brand::Diners => (&[14, 15, 16, 17, 18, 19], "14 to 19"),
            Brand::Jcb | Brand::Discover | Brand::UnionPay => (&[16, 17, 18, 19], "16 to 19"),
            Brand::Unknown => (
                &[12, 13, 14, 15, 16, 17, 18, 19],
                "12 to 19", // same as the general rule
            ),
        }
    }

    /// Security-code lengths for the brand: 4 for Amex, 3 for known brands, 3 or 4 when
    /// the brand is unknown (we cannot tell, so we accept both).
    fn cvc_lengths(self) -> (&'static [usize], &'static str) {
        match self {
            Brand::Amex => (&[4], "4"),
            Brand::Unknown => (&[3, 4], "3 or 4"),
            _ => (&[3], "3"),
        }
    }
}

impl fmt::Display for Brand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for Brand {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Brand {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Brand::parse(&s).ok_or_else(|| serde::de::Error::custom("brand: unknown brand name"))
    }
}

/// The first `n` digits as a number, if there are that many ASCII digits.
fn prefix(digits: &str, n: usize) -> Option<u32> {
    let head = digits.as_bytes().get(..n)?;
    head.iter().try_fold(0u32, |acc, &b| {
        b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0'))
    })
}

/// Luhn (mod 10) check over ASCII digits (protocols.md §6.1). `false` for empty input or
/// any non-digit.
pub fn luhn_check(digits: &str) -> bool {
    !digits.is_empty() && luhn_sum(digits.as_bytes(), false).is_some_and(|s| s % 10 == 0)
}

/// The Luhn check digit to append to `partial` (ASCII digits) so the result passes
/// [`luhn_check`]; `None` if `partial` contains a non-digit. Useful to build test PANs.
pub fn luhn_check_digit(partial: &str) -> Option<u8> {
    let sum = luhn_sum(partial.as_bytes(), true)?;
    // `sum % 10` < 10, so the cast cannot truncate.
    Some(((10 - sum % 10) % 10) as u8)
}

/// Luhn sum from the rightmost digit leftwards, doubling every second digit. With
/// `double_first` the rightmost digit is doubled too (the check digit is still to come).
fn luhn_sum(digits: &[u8], double_first: bool) -> Option<u32> {
    let mut sum = 0u32;
    for (i, &b) in digits.iter().rev().enumerate() {
        if !b.is_ascii_digit() {
            return None;
        }
        let mut d = u32::from(b - b'0');
        if (i % 2 == 1) != double_first {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    Some(sum)
}

/// A primary account number: ASCII digits only, 12..=19 long, length valid for its brand,
/// Luhn-valid.
///
/// `Debug` and `Display` print the masked form (BIN6 + `*` + last 4); there is no
/// `Serialize`. The digits are zeroized on drop. The full number is reachable only through
/// [`Pan::expose`].
#[derive(Clone)]
pub struct Pan {
    digits: Secret<String>,
    brand: Brand,
}

impl Pan {
    /// Parses a card number. Spaces and dashes are removed first (so `4242 4242 4242 4242`
    /// and `4242-4242-4242-4242` are accepted); any other non-digit is rejected.
    ///
    /// Checks, in order: characters, 12–19 digits, the brand's lengths (→ `invalid_number`),
    /// then the Luhn digit (→ `incorrect_number`). The general structure is checked before
    /// the checksum so the message names the most useful rule.
    ///
    /// Note: all brands are held to Luhn, although §6.1 warns that some historic UnionPay
    /// 62 cards fail it; see the crate docs.
    pub fn parse(s: &str) -> Result<Pan, CardError> {
        if s.chars().count() > PAN_INPUT_CHARS_MAX {
            return Err(CardError::NumberInputTooLong {
                max_chars: PAN_INPUT_CHARS_MAX,
            });
        }
        // Zeroizing from the first digit, so an early return wipes the partial number too.
        let mut digits = Zeroizing::new(String::with_capacity(PAN_INPUT_CHARS_MAX));
        for c in s.chars() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '-' => {}
                _ => return Err(CardError::NumberNotDigits),
            }
        }
        // Moves the heap buffer (no copy) into a Secret, which zeroizes it on drop.
        let digits = Secret::new(std::mem::take(&mut *digits));
        let len = digits.expose_secret().len();
        if !(PAN_LEN_MIN..=PAN_LEN_MAX).contains(&len) {
            return Err(CardError::NumberLength { digits: len });
        }
        let brand = Brand::detect(digits.expose_secret());
        let (lengths, expected) = brand.lengths();
        if !lengths.contains(&len) {
            return Err(CardError::BrandLength {
                brand,
                expected,
                digits: len,
            });
        }
        if !luhn_check(digits.expose_secret()) {
            return Err(CardError::IncorrectNumber);
        }
        Ok(Pan { digits, brand })
    }

    /// The brand detected from the prefix.
    pub fn brand(&self) -> Brand {
        self.brand
    }

    /// The last four digits (safe to show and store).
    pub fn last4(&self) -> &str {
        let d = self.digits.expose_secret();
        &d[d.len() - 4..]
    }

    /// The first six digits, the bank identification number (safe to show and store).
    pub fn bin6(&self) -> &str {
        &self.digits.expose_secret()[..6]
    }

    /// The full number. Call only to encrypt it or to send it to a card network.
    pub fn expose(&self) -> &str {
        self.digits.expose_secret()
    }

    /// Number of digits.
    pub fn len(&self) -> usize {
        self.digits.expose_secret().len()
    }

    /// Always `false`: a `Pan` has at least 12 digits. Present because clippy pairs it
    /// with [`Pan::len`].
    pub fn is_empty(&self) -> bool {
        false
    }

    /// `424242******4242`: BIN6, one `*` per hidden digit, last 4.
    pub fn masked(&self) -> String {
        let hidden = self.len() - 10;
        format!("{}{}{}", self.bin6(), "*".repeat(hidden), self.last4())
    }
}

impl PartialEq for Pan {
    /// Constant-time comparison of the digits, so equality checks do not leak a prefix.
    fn eq(&self, other: &Self) -> bool {
        let a = self.digits.expose_secret().as_bytes();
        let b = other.digits.expose_secret().as_bytes();
        bool::from(a.ct_eq(b))
    }
}

impl Eq for Pan {}

impl FromStr for Pan {
    type Err = CardError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Pan::parse(s)
    }
}

impl fmt::Debug for Pan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pan({})", self.masked())
    }
}

impl fmt::Display for Pan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

/// Card expiry: month 1..=12 and a four-digit year 2000..=2099. The card is valid through
/// the last day of the month.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Expiry {
    /// 1..=12.
    pub month: u8,
    /// 2000..=2099.
    pub year: u16,
}

impl Expiry {
    /// Builds an expiry from API integers. `year` may be two digits (`26` → 2026) or four
    /// (2000..=2099); the two forms map onto the same range so [`Expiry::yymm`] round-trips.
    pub fn new(month: i64, year: i64) -> Result<Expiry, CardError> {
        let month = u8::try_from(month)
            .ok()
            .filter(|m| (1..=12).contains(m))
            .ok_or(CardError::ExpiryMonth)?;
        let year = match year {
            0..=99 => 2000 + year,
            2000..=2099 => year,
            _ => return Err(CardError::ExpiryYear),
        };
        let year = u16::try_from(year).map_err(|_| CardError::ExpiryYear)?;
        Ok(Expiry { month, year })
    }

    /// `YYMM`, the ISO 8583 DE 14 form (e.g. `2612` for December 2026).
    pub fn yymm(&self) -> String {
        format!("{:02}{:02}", self.year % 100, self.month)
    }

    /// Whether the card has expired when the calendar shows `year` (four digits) and
    /// `month`: a card expiring 12/2026 is still good during December 2026.
    pub fn is_expired_at(&self, year: u16, month: u8) -> bool {
        (year, month) > (self.year, self.month)
    }
}

/// A card security code (CVC/CVV/CID). Never stored at rest (PCI DSS 3.2): it exists only
/// for the length of an authorisation. `Debug` prints `Cvc([REDACTED])`.
#[derive(Clone)]
pub struct Cvc(Secret<String>);

impl Cvc {
    /// Parses a security code for `brand`: ASCII digits only, 4 long for Amex, 3 for other
    /// known brands, 3 or 4 when the brand is unknown.
    pub fn parse(s: &str, brand: Brand) -> Result<Cvc, CardError> {
        let (lengths, expected) = brand.cvc_lengths();
        let ok = lengths.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit());
        if !ok {
            return Err(CardError::Cvc { expected });
        }
        Ok(Cvc(Secret::new(s.to_owned())))
    }

    /// The digits. Call only to send them to a card network.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for Cvc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Cvc([REDACTED])")
    }
}
