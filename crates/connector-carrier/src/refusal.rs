//! The carrier's refusal codes as the merchant sees them (Stripe-shaped: `code`,
//! `decline_code`, message). The codes are the issue's, kept as the carrier names them.

use paygate_payments::Decline;

const fn d(code: &'static str, message: &'static str) -> Decline {
    Decline {
        code,
        decline_code: code,
        message,
        outcome_type: "issuer_declined",
    }
}

/// Every code the carrier refuses a payment with, and its decline.
pub const DECLINES: [Decline; 7] = [
    d(
        "mobile_monthly_limit_exceeded",
        "The payment would exceed the subscriber's monthly carrier billing limit.",
    ),
    d(
        "mobile_minor_not_allowed",
        "Carrier billing is not available to subscribers under 19.",
    ),
    d(
        "mobile_subscriber_not_found",
        "No subscriber of this carrier has this phone number and birth date.",
    ),
    d("mobile_code_expired", "The code sent by SMS has expired."),
    d(
        "mobile_code_invalid",
        "The code sent by SMS was not entered correctly.",
    ),
    d(
        "mobile_code_attempts_exceeded",
        "The code was entered wrongly five times; the payment can no longer be confirmed.",
    ),
    d(
        "mobile_code_resend_limit_exceeded",
        "No more codes can be sent for this payment.",
    ),
];

/// The decline of a carrier code; any other code is a generic carrier decline.
pub fn decline(code: &str) -> Decline {
    DECLINES.into_iter().find(|x| x.code == code).unwrap_or(d(
        "mobile_carrier_declined",
        "The carrier declined the payment.",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_carrier_code_keeps_its_name_and_unknown_ones_are_generic() {
        for x in DECLINES {
            assert_eq!(decline(x.code).code, x.code);
        }
        assert_eq!(
            decline("payment_not_verified").code,
            "mobile_carrier_declined"
        );
    }
}
