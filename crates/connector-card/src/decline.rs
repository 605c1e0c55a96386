//! Merchant-facing codes for the network's answers (DE 39; table in docs/iso8583.md).

use paygate_payments::Decline;

/// Maps DE 39 to the merchant-facing codes.
pub fn decline_for(response_code: &str) -> Decline {
    let d = |code, decline_code, message, outcome_type| Decline {
        code,
        decline_code,
        message,
        outcome_type,
    };
    match response_code {
        "51" => d(
            "card_declined",
            "insufficient_funds",
            "Your card has insufficient funds.",
            "issuer_declined",
        ),
        "54" => d(
            "expired_card",
            "expired_card",
            "Your card has expired.",
            "issuer_declined",
        ),
        "N7" => d(
            "incorrect_cvc",
            "incorrect_cvc",
            "Your card's security code is incorrect.",
            "issuer_declined",
        ),
        "41" => d(
            "card_declined",
            "lost_card",
            "Your card was declined.",
            "issuer_declined",
        ),
        "43" => d(
            "card_declined",
            "stolen_card",
            "Your card was declined.",
            "issuer_declined",
        ),
        "14" => d(
            "incorrect_number",
            "incorrect_number",
            "Your card number is incorrect.",
            "invalid",
        ),
        "91" => d(
            "card_declined",
            "issuer_not_available",
            "Your card was declined. The card issuer could not be reached.",
            "issuer_declined",
        ),
        "96" | "30" => d(
            "processing_error",
            "processing_error",
            "An error occurred while processing your card. Try again in a little bit.",
            "issuer_declined",
        ),
        "61" => d(
            "card_declined",
            "card_velocity_exceeded",
            "Your card was declined.",
            "issuer_declined",
        ),
        "57" | "58" => d(
            "card_declined",
            "transaction_not_allowed",
            "Your card was declined.",
            "issuer_declined",
        ),
        "04" | "07" => d(
            "card_declined",
            "pickup_card",
            "Your card was declined.",
            "issuer_declined",
        ),
        "12" => d(
            "card_declined",
            "invalid_account",
            "Your card was declined.",
            "issuer_declined",
        ),
        "13" => d(
            "card_declined",
            "invalid_amount",
            "Your card was declined.",
            "issuer_declined",
        ),
        _ => d(
            "card_declined",
            "generic_decline",
            "Your card was declined.",
            "issuer_declined",
        ),
    }
}
