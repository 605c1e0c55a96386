//! [`Money`]: an amount in integer minor units together with its [`Currency`].
//!
//! ₩10,000 is `Money { 10000, KRW }` (exponent 0), $100.00 is `Money { 10000, USD }`
//! (exponent 2). Floats never enter. A `Money` made by [`Money::positive`] is at least one minor
//! unit and at most the currency's charge limit, so code that holds one need not check again.

use paygate_ledger::Currency;
use serde::{Deserialize, Serialize};

/// Why an amount is not valid money.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error(
        "amount must be at least 1 {currency} (minor units, exponent {exponent}); got {amount}"
    )]
    NotPositive {
        amount: i64,
        currency: &'static str,
        exponent: u8,
    },
    #[error(
        "amount must be no more than {max} {currency} (minor units, exponent {exponent}); got {amount}"
    )]
    TooLarge {
        amount: i64,
        max: i64,
        currency: &'static str,
        exponent: u8,
    },
    #[error("amounts in {left} and {right} cannot be combined")]
    CurrencyMismatch {
        left: &'static str,
        right: &'static str,
    },
}

/// An amount of money: integer minor units of one currency.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    amount: i64,
    currency: Currency,
}

impl Money {
    /// A chargeable amount: 1 ..= `currency.max_amount()` minor units.
    pub fn positive(amount: i64, currency: Currency) -> Result<Money, MoneyError> {
        if amount < 1 {
            return Err(MoneyError::NotPositive {
                amount,
                currency: currency.code(),
                exponent: currency.exponent(),
            });
        }
        Money::bounded(amount, currency)
    }

    /// An amount that may be zero (a balance, what is left to refund): 0 ..= the limit.
    pub fn non_negative(amount: i64, currency: Currency) -> Result<Money, MoneyError> {
        if amount < 0 {
            return Err(MoneyError::NotPositive {
                amount,
                currency: currency.code(),
                exponent: currency.exponent(),
            });
        }
        Money::bounded(amount, currency)
    }

    fn bounded(amount: i64, currency: Currency) -> Result<Money, MoneyError> {
        if amount > currency.max_amount() {
            return Err(MoneyError::TooLarge {
                amount,
                max: currency.max_amount(),
                currency: currency.code(),
                exponent: currency.exponent(),
            });
        }
        Ok(Money { amount, currency })
    }

    /// Nothing, in `currency`.
    pub fn zero(currency: Currency) -> Money {
        Money {
            amount: 0,
            currency,
        }
    }

    /// Minor units.
    pub fn minor(&self) -> i64 {
        self.amount
    }

    pub fn currency(&self) -> Currency {
        self.currency
    }

    pub fn is_zero(&self) -> bool {
        self.amount == 0
    }

    /// `self − other`, never below zero, in the same currency.
    pub fn saturating_sub(&self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        Ok(Money {
            amount: (self.amount - other.amount).max(0),
            currency: self.currency,
        })
    }

    /// `self + other` in the same currency, within the limit.
    pub fn checked_add(&self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        Money::non_negative(self.amount.saturating_add(other.amount), self.currency)
    }

    fn same_currency(&self, other: Money) -> Result<(), MoneyError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch {
                left: self.currency.code(),
                right: other.currency.code(),
            })
        }
    }
}

impl std::fmt::Display for Money {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.amount, self.currency.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cur(c: &str) -> Currency {
        Currency::parse(c).unwrap()
    }

    #[test]
    fn a_chargeable_amount_is_between_one_minor_unit_and_the_currency_limit() {
        let krw = cur("krw");
        assert_eq!(Money::positive(1, krw).unwrap().minor(), 1);
        assert!(matches!(
            Money::positive(0, krw),
            Err(MoneyError::NotPositive { .. })
        ));
        assert!(matches!(
            Money::positive(-5, krw),
            Err(MoneyError::NotPositive { .. })
        ));
        let max = krw.max_amount();
        assert_eq!(Money::positive(max, krw).unwrap().minor(), max);
        assert!(matches!(
            Money::positive(max + 1, krw),
            Err(MoneyError::TooLarge { .. })
        ));
        assert_eq!(Money::non_negative(0, krw).unwrap(), Money::zero(krw));
    }

    #[test]
    fn amounts_of_different_currencies_do_not_combine() {
        let a = Money::positive(500, cur("krw")).unwrap();
        let b = Money::positive(500, cur("usd")).unwrap();
        assert!(matches!(
            a.checked_add(b),
            Err(MoneyError::CurrencyMismatch { .. })
        ));
        let c = Money::positive(200, cur("krw")).unwrap();
        assert_eq!(a.saturating_sub(c).unwrap().minor(), 300);
        assert_eq!(c.saturating_sub(a).unwrap().minor(), 0);
        assert_eq!(a.checked_add(c).unwrap().to_string(), "700 krw");
    }
}
