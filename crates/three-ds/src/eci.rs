//! Electronic Commerce Indicator per card brand (protocols.md §3.5): what an authentication
//! result is called in the authorization.
//!
//! | result            | Visa, Amex, JCB, Diners/Discover, UnionPay, others | Mastercard |
//! |-------------------|-----------------------------------------------------|------------|
//! | authenticated (Y) | 05                                                  | 02         |
//! | attempted (A)     | 06                                                  | 01         |
//! | not authenticated | 07                                                  | 00         |

use paygate_vault::Brand;
use serde::{Deserialize, Serialize};

use crate::messages::TransStatus;

/// Which ECI table a card follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EciScheme {
    /// Mastercard (and Maestro): 02 / 01 / 00.
    Mastercard,
    /// Every other brand: 05 / 06 / 07.
    Visa,
}

impl EciScheme {
    /// The table of a brand.
    pub fn of(brand: Brand) -> EciScheme {
        match brand {
            Brand::Mastercard => EciScheme::Mastercard,
            _ => EciScheme::Visa,
        }
    }

    /// ECI of a fully authenticated payment (transStatus Y).
    pub fn authenticated(self) -> &'static str {
        match self {
            EciScheme::Mastercard => "02",
            EciScheme::Visa => "05",
        }
    }

    /// ECI of an attempted authentication (transStatus A).
    pub fn attempted(self) -> &'static str {
        match self {
            EciScheme::Mastercard => "01",
            EciScheme::Visa => "06",
        }
    }

    /// ECI of a payment without authentication (3DS not done, N/U/R, or not enrolled).
    pub fn not_authenticated(self) -> &'static str {
        match self {
            EciScheme::Mastercard => "00",
            EciScheme::Visa => "07",
        }
    }

    /// The ECI a result with a CAVV must carry: Y → authenticated, A → attempted; `None` for
    /// results without a CAVV.
    pub fn for_status(self, status: TransStatus) -> Option<&'static str> {
        match status {
            TransStatus::Authenticated => Some(self.authenticated()),
            TransStatus::Attempted => Some(self.attempted()),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_brand_maps_results_to_its_table() {
        let cases = [
            (Brand::Visa, "05", "06", "07"),
            (Brand::Jcb, "05", "06", "07"),
            (Brand::Amex, "05", "06", "07"),
            (Brand::Mastercard, "02", "01", "00"),
        ];
        for (brand, y, a, n) in cases {
            let s = EciScheme::of(brand);
            assert_eq!(s.for_status(TransStatus::Authenticated), Some(y), "{brand}");
            assert_eq!(s.for_status(TransStatus::Attempted), Some(a), "{brand}");
            assert_eq!(s.not_authenticated(), n, "{brand}");
            assert_eq!(s.for_status(TransStatus::NotAuthenticated), None);
        }
    }
}
