//! Merchant-facing codes for the network's answers (DE 39; table in docs/iso8583.md).

use paygate_payments::Decline;

/// Maps DE 39 to the merchant-facing codes: the row of [`DECLINES`] naming the code, else
/// the issuer's generic refusal.
pub fn decline_for(response_code: &str) -> Decline {
    DECLINES
        .iter()
        .find(|(codes, _)| codes.contains(&response_code))
        .map_or(GENERIC_DECLINE, |&(_, decline)| decline)
}

/// One row: Stripe's error `code`, `decline_code`, message and charge outcome `type`.
const fn row(
    code: &'static str,
    decline_code: &'static str,
    message: &'static str,
    outcome_type: &'static str,
) -> Decline {
    Decline {
        code,
        decline_code,
        message,
        outcome_type,
    }
}

const DECLINED: &str = "Your card was declined.";
const ISSUER: &str = "issuer_declined";

/// Any DE 39 code without a row in [`DECLINES`].
const GENERIC_DECLINE: Decline = row("card_declined", "generic_decline", DECLINED, ISSUER);

/// DE 39 codes and what the merchant sees for them; each code is in one row at most.
#[rustfmt::skip]
static DECLINES: &[(&[&str], Decline)] = &[
    (&["51"], row("card_declined", "insufficient_funds", "Your card has insufficient funds.", ISSUER)),
    (&["54"], row("expired_card", "expired_card", "Your card has expired.", ISSUER)),
    (&["N7"], row("incorrect_cvc", "incorrect_cvc", "Your card's security code is incorrect.", ISSUER)),
    (&["41"], row("card_declined", "lost_card", DECLINED, ISSUER)),
    (&["43"], row("card_declined", "stolen_card", DECLINED, ISSUER)),
    (&["14"], row("incorrect_number", "incorrect_number", "Your card number is incorrect.", "invalid")),
    (&["91"], row("card_declined", "issuer_not_available",
        "Your card was declined. The card issuer could not be reached.", ISSUER)),
    (&["96", "30"], row("processing_error", "processing_error",
        "An error occurred while processing your card. Try again in a little bit.", ISSUER)),
    (&["61"], row("card_declined", "card_velocity_exceeded", DECLINED, ISSUER)),
    (&["57", "58"], row("card_declined", "transaction_not_allowed", DECLINED, ISSUER)),
    (&["04", "07"], row("card_declined", "pickup_card", DECLINED, ISSUER)),
    (&["12"], row("card_declined", "invalid_account", DECLINED, ISSUER)),
    (&["13"], row("card_declined", "invalid_amount", DECLINED, ISSUER)),
    (&["1A"], row("authentication_required", "authentication_required",
        "Your card was declined. This transaction requires authentication.", ISSUER)),
];

#[cfg(test)]
mod tests {
    use super::DECLINES;

    #[test]
    fn each_network_code_has_one_row_at_most() {
        let mut codes: Vec<&str> = DECLINES
            .iter()
            .flat_map(|(c, _)| c.iter().copied())
            .collect();
        let all = codes.len();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), all, "a DE 39 code is in two rows: {codes:?}");
    }
}
