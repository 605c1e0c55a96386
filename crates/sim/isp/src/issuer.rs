//! The card issuer's side of ISP: whether it enrols a card (the card-network simulator's
//! rules, used as a library so both simulators agree) and the ECI of a verified payment.

use paygate_sim_network::wire::pan;
use paygate_sim_network::{Behaviour, TEST_CARDS};

use paygate_isp::CardPayload;

/// The DE 39 of insufficient funds: a card without funds is still enrolled (the
/// authorization is what declines it).
const INSUFFICIENT_FUNDS: &str = "51";

/// Whether the issuer enrols `card` at `now_yymm`: Luhn-valid, a known test card, not
/// expired, and not one the issuer refuses (lost, stolen, do-not-honour, CVC mismatch,
/// issuer unavailable…). Cards that approve, cards without funds and the silent card are
/// enrolled.
pub(crate) fn enrols(card: &CardPayload, now_yymm: u16) -> bool {
    if !pan::luhn_valid(&card.number) {
        return false;
    }
    let Some(known) = TEST_CARDS.iter().find(|c| c.pan == card.number) else {
        return false;
    };
    let expiry = (card.exp_year % 100) * 100 + u16::from(card.exp_month);
    if expiry < now_yymm {
        return false;
    }
    match known.behaviour {
        // The always-authenticate card pays with ISP: its verification is an authentication.
        Behaviour::Approve | Behaviour::NoAnswer | Behaviour::AuthenticationRequired => true,
        Behaviour::Decline(code) => code == INSUFFICIENT_FUNDS,
        Behaviour::CvcMismatch => false,
    }
}

/// ECI of an ISP-verified payment: "02" for Mastercard ranges (51–55, 2221–2720), else "05".
pub(crate) fn eci(pan: &str) -> &'static str {
    let prefix = |n: usize| pan.get(..n).and_then(|p| p.parse::<u32>().ok());
    let mastercard = matches!(prefix(2), Some(51..=55)) || matches!(prefix(4), Some(2221..=2720));
    if mastercard { "02" } else { "05" }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card(number: &str, exp_year: u16) -> CardPayload {
        CardPayload {
            number: number.to_owned(),
            exp_month: 12,
            exp_year,
            cvc: Some("123".to_owned()),
        }
    }

    #[test]
    fn issuer_rules() {
        assert!(enrols(&card("4242424242424242", 2034), 2_612));
        assert!(enrols(&card("4000000000009995", 2034), 2_612), "no funds");
        assert!(!enrols(&card("4242424242424242", 2026), 2_701), "expired");
        assert!(!enrols(&card("4242424242424241", 2034), 2_612), "Luhn");
        assert!(!enrols(&card("4111111111111111", 2034), 2_612), "unknown");
        assert!(!enrols(&card("4000000000009979", 2034), 2_612), "stolen");
        assert!(!enrols(&card("4000000000000127", 2034), 2_612), "CVC");
        assert_eq!(eci("5555555555554444"), "02");
        assert_eq!(eci("2223003122003222"), "02");
        assert_eq!(eci("4242424242424242"), "05");
    }
}
