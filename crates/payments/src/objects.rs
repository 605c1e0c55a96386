//! Statuses of the objects a payment leaves behind (Charge, Refund), stored and served with
//! Stripe's names.

use serde::{Deserialize, Serialize};

/// Stripe's Charge `status`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChargeStatus {
    Succeeded,
    Pending,
    Failed,
}

impl ChargeStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ChargeStatus::Succeeded => "succeeded",
            ChargeStatus::Pending => "pending",
            ChargeStatus::Failed => "failed",
        }
    }
}

/// Stripe's Refund `status`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundStatus {
    Succeeded,
    Pending,
    Failed,
    Canceled,
}

impl RefundStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RefundStatus::Succeeded => "succeeded",
            RefundStatus::Pending => "pending",
            RefundStatus::Failed => "failed",
            RefundStatus::Canceled => "canceled",
        }
    }
}

macro_rules! str_eq {
    ($t:ty) => {
        impl PartialEq<&str> for $t {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }
        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
str_eq!(ChargeStatus);
str_eq!(RefundStatus);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_keep_stripes_names() {
        for s in [
            ChargeStatus::Succeeded,
            ChargeStatus::Pending,
            ChargeStatus::Failed,
        ] {
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
        for s in [
            RefundStatus::Succeeded,
            RefundStatus::Pending,
            RefundStatus::Failed,
            RefundStatus::Canceled,
        ] {
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
            assert!(s == s.as_str());
        }
    }
}
