//! The smallest and largest amount one charge may have, per currency, as Stripe publishes
//! them ("minimum and maximum charge amounts"): a minimum worth about US$0.50 so card fees
//! do not exceed the payment, and a maximum of eight digits of minor units (99,999,999:
//! $999,999.99, ₩99,999,999). These bound what a merchant may *ask* for; the ledger's own
//! posting bounds ([`Currency::max_amount`], [`Currency::max_posting_amount`]) are wider.

use crate::Currency;

/// Largest amount of one charge in minor units, for every currency (Stripe's eight digits).
pub const CHARGE_MINOR_UNITS_MAX: i64 = 99_999_999;

/// Minimum charge in minor units. Stripe's published table where it lists the currency;
/// for the others (marked `≈`) the nearest round amount worth about US$0.50.
const MINIMUMS: &[(Currency, i64)] = &[
    (Currency::USD, 50),
    (Currency::AED, 200),
    (Currency::AUD, 50),
    (Currency::BRL, 50),
    (Currency::CAD, 50),
    (Currency::CHF, 50),
    (Currency::DKK, 250),
    (Currency::EUR, 50),
    (Currency::GBP, 30),
    (Currency::HKD, 400),
    (Currency::INR, 50),
    (Currency::JPY, 50),
    (Currency::MXN, 1_000),
    (Currency::MYR, 200),
    (Currency::NOK, 300),
    (Currency::NZD, 50),
    (Currency::PLN, 200),
    (Currency::SEK, 300),
    (Currency::SGD, 50),
    (Currency::THB, 1_000),
    (Currency::KRW, 100),     // ≈ (₩100)
    (Currency::CNY, 400),     // ≈ ¥4.00
    (Currency::TWD, 1_500),   // ≈ NT$15.00
    (Currency::VND, 10_000),  // ≈ ₫10,000
    (Currency::IDR, 800_000), // ≈ Rp8,000.00 (ISO exponent 2)
    (Currency::PHP, 2_500),   // ≈ ₱25.00
    (Currency::KWD, 150),     // ≈ 0.150 KWD
    (Currency::BHD, 200),     // ≈ 0.200 BHD
    (Currency::JOD, 350),     // ≈ 0.350 JOD
    (Currency::OMR, 200),     // ≈ 0.200 OMR
    (Currency::TND, 1_500),   // ≈ 1.500 TND
    (Currency::CLP, 400),     // ≈ $400
    (Currency::ISK, 70),      // ≈ kr70
    (Currency::UGX, 2_000),   // ≈ USh2,000
    (Currency::SAR, 200),     // ≈ 2.00 SAR
    (Currency::ZAR, 1_000),   // ≈ R10.00
    (Currency::XOF, 300),     // ≈ 300 F CFA
    (Currency::XAF, 300),     // ≈ 300 F CFA
    (Currency::PYG, 4_000),   // ≈ ₲4,000
    (Currency::RWF, 700),     // ≈ RF700
];

impl Currency {
    /// Smallest amount of one charge, in minor units (e.g. 50 for USD = $0.50, 100 for KRW).
    pub fn min_charge_amount(&self) -> i64 {
        MINIMUMS
            .iter()
            .find(|(c, _)| c == self)
            .map_or(1, |(_, min)| *min)
    }

    /// Largest amount of one charge, in minor units: [`CHARGE_MINOR_UNITS_MAX`], never more
    /// than the ledger's bound for the currency.
    pub fn max_charge_amount(&self) -> i64 {
        CHARGE_MINOR_UNITS_MAX.min(self.max_amount())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_currency_has_a_minimum_below_its_maximum() {
        for c in Currency::ALL {
            assert!(
                MINIMUMS.iter().any(|(m, _)| m == c),
                "{c} has no minimum charge amount"
            );
            assert!(c.min_charge_amount() >= 1);
            assert!(c.min_charge_amount() < c.max_charge_amount(), "{c}");
        }
        assert_eq!(MINIMUMS.len(), Currency::ALL.len(), "one row per currency");
    }

    #[test]
    fn stripe_published_limits() {
        let table: &[(Currency, i64, i64)] = &[
            (Currency::USD, 50, 99_999_999),
            (Currency::EUR, 50, 99_999_999),
            (Currency::JPY, 50, 99_999_999),
            (Currency::KRW, 100, 99_999_999),
            (Currency::GBP, 30, 99_999_999),
        ];
        for &(c, min, max) in table {
            assert_eq!((c.min_charge_amount(), c.max_charge_amount()), (min, max));
        }
        // ₩100,000,000 is one won over; $999,999.99 is the largest US dollar charge.
        assert!(100_000_000 > Currency::KRW.max_charge_amount());
        assert_eq!(Currency::USD.max_charge_amount(), 99_999_999);
    }
}
