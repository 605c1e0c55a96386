//! Amounts as payers read them, from integer minor units and the currency's ISO 4217
//! exponent (never through a float): ₩10,000 and 10,000원, $10.00, ¥1,000, KWD 1.500.

use crate::i18n::Locale;
use paygate_ledger::Currency;

/// An amount to show: integer minor units of `currency`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Amount {
    pub minor: i64,
    pub currency: Currency,
}

/// Symbols shown before the number; other currencies show their upper-case code.
const SYMBOLS: &[(Currency, &str)] = &[
    (Currency::KRW, "₩"),
    (Currency::USD, "$"),
    (Currency::JPY, "¥"),
    (Currency::EUR, "€"),
    (Currency::GBP, "£"),
];

impl Amount {
    pub fn new(minor: i64, currency: Currency) -> Amount {
        Amount { minor, currency }
    }

    /// The amount for `locale`: in Korean, won are written `10,000원`; everything else
    /// (and won in English) as symbol + number, `₩10,000`, `$10.00`, or `CHF 10.00`.
    pub fn format(&self, locale: Locale) -> String {
        let number = self.number();
        let (sign, number) = match number.strip_prefix('-') {
            Some(n) => ("-", n.to_string()),
            None => ("", number),
        };
        if locale == Locale::Ko && self.currency == Currency::KRW {
            return format!("{sign}{number}원");
        }
        match SYMBOLS.iter().find(|(c, _)| *c == self.currency) {
            Some((_, sym)) => format!("{sign}{sym}{number}"),
            None => format!("{sign}{} {number}", self.currency.code().to_uppercase()),
        }
    }

    /// The number alone with thousands separators and exactly `exponent` decimals.
    fn number(&self) -> String {
        let exp = u32::from(self.currency.exponent());
        let scale = 10u64.pow(exp);
        let abs = self.minor.unsigned_abs();
        let (major, fraction) = (abs / scale, abs % scale);
        let mut out = String::new();
        if self.minor < 0 {
            out.push('-');
        }
        out.push_str(&group_thousands(major));
        if exp > 0 {
            out.push('.');
            out.push_str(&format!("{fraction:0width$}", width = exp as usize));
        }
        out
    }
}

fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_follow_the_currency_exponent_and_the_locale() {
        let cases = [
            (10_000, Currency::KRW, Locale::Ko, "10,000원"),
            (10_000, Currency::KRW, Locale::En, "₩10,000"),
            (0, Currency::KRW, Locale::Ko, "0원"),
            (99_999_999, Currency::KRW, Locale::En, "₩99,999,999"),
            (1_000, Currency::USD, Locale::En, "$10.00"),
            (1_000, Currency::USD, Locale::Ko, "$10.00"),
            (5, Currency::USD, Locale::En, "$0.05"),
            (123_456_789, Currency::USD, Locale::En, "$1,234,567.89"),
            (-1_050, Currency::USD, Locale::En, "-$10.50"),
            (1_000, Currency::JPY, Locale::En, "¥1,000"),
            (1_000, Currency::JPY, Locale::Ko, "¥1,000"),
            (1_500, Currency::KWD, Locale::En, "KWD 1.500"),
            (100, Currency::CHF, Locale::Ko, "CHF 1.00"),
            (-500, Currency::KRW, Locale::Ko, "-500원"),
        ];
        for (minor, cur, loc, want) in cases {
            assert_eq!(Amount::new(minor, cur).format(loc), want, "{minor} {cur:?}");
        }
    }

    #[test]
    fn the_largest_amounts_do_not_overflow() {
        assert_eq!(
            Amount::new(i64::MIN, Currency::USD).format(Locale::En),
            "-$92,233,720,368,547,758.08"
        );
        assert_eq!(
            Amount::new(i64::MAX, Currency::KRW).format(Locale::Ko),
            "9,223,372,036,854,775,807원"
        );
    }
}
