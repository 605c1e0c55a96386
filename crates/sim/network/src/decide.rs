//! The simulated issuer's decisions by test card (the table of `docs/test-cards.md`). Pure: the
//! open-to-buy check comes after, in the authorization command.

use crate::wire::{pan, rc};

/// How the simulated issuer treats a card.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Behaviour {
    /// Approved while the card account's open-to-buy covers the amount (else 51).
    Approve,
    /// Always declined with this DE 39.
    Decline(&'static str),
    /// Declined with N7 (CVC2 mismatch).
    CvcMismatch,
    /// Approved only with a verified 3-D Secure authentication, else declined with 1A
    /// (authentication required) — also merchant-initiated uses of a stored card.
    AuthenticationRequired,
    /// Approved (the hold is taken and journaled) but the answer is never sent: the acquirer
    /// times out and must reverse.
    NoAnswer,
}

/// One row of the test-card table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TestCard {
    /// The card number (public test numbers; no real card).
    pub pan: &'static str,
    /// Brand, for the docs.
    pub brand: &'static str,
    /// What the issuer does.
    pub behaviour: Behaviour,
}

/// Answers 91 (issuer unavailable). Luhn-valid; not one of Stripe's public test numbers.
pub const ISSUER_UNAVAILABLE_CARD: &str = "4000000000000085";
/// Never answered (approved silently, so the acquirer's reversal must release the hold).
/// Luhn-valid; not one of Stripe's public test numbers.
pub const NO_ANSWER_CARD: &str = "4000000000000150";

const fn card(pan: &'static str, brand: &'static str, behaviour: Behaviour) -> TestCard {
    TestCard {
        pan,
        brand,
        behaviour,
    }
}

/// Every card the simulator knows; any other Luhn-valid number answers 14.
pub const TEST_CARDS: &[TestCard] = &[
    card("4242424242424242", "Visa", Behaviour::Approve),
    card("5555555555554444", "Mastercard", Behaviour::Approve),
    card("378282246310005", "American Express", Behaviour::Approve),
    card("3566002020360505", "JCB", Behaviour::Approve),
    card("6200000000000005", "UnionPay", Behaviour::Approve),
    card(
        "9400000000000007",
        "Korean domestic-only",
        Behaviour::Approve,
    ),
    card(
        "4000000000000002",
        "Visa",
        Behaviour::Decline(rc::DO_NOT_HONOUR),
    ),
    card(
        "4000000000009995",
        "Visa",
        Behaviour::Decline(rc::INSUFFICIENT_FUNDS),
    ),
    card(
        "4000000000000069",
        "Visa",
        Behaviour::Decline(rc::EXPIRED_CARD),
    ),
    card("4000000000000127", "Visa", Behaviour::CvcMismatch),
    card(
        "4000000000009987",
        "Visa",
        Behaviour::Decline(rc::LOST_CARD),
    ),
    card(
        "4000000000009979",
        "Visa",
        Behaviour::Decline(rc::STOLEN_CARD),
    ),
    card(
        "4000000000000119",
        "Visa",
        Behaviour::Decline(rc::SYSTEM_MALFUNCTION),
    ),
    card(
        ISSUER_UNAVAILABLE_CARD,
        "Visa",
        Behaviour::Decline(rc::ISSUER_UNAVAILABLE),
    ),
    card(NO_ANSWER_CARD, "Visa", Behaviour::NoAnswer),
    // 3-D Secure test cards (`paygate sim 3ds`): approved like normal cards once their
    // authentication verifies (or without 3-D Secure), except 1629, declined after it.
    card(
        "4000000000003220",
        "Visa (3DS challenge)",
        Behaviour::Approve,
    ),
    card(
        "4000000000003055",
        "Visa (3DS frictionless)",
        Behaviour::Approve,
    ),
    card(
        "4000008400001629",
        "Visa (3DS challenge, then declined)",
        Behaviour::Decline(rc::DO_NOT_HONOUR),
    ),
    card(
        "4000000000003097",
        "Visa (3DS unavailable)",
        Behaviour::Approve,
    ),
    card(
        "4000002760003184",
        "Visa (3DS required on every payment and setup)",
        Behaviour::AuthenticationRequired,
    ),
];

/// The issuer's verdict before the open-to-buy check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Verdict {
    /// DE 39 unless the open-to-buy check turns an approval into 51.
    pub code: &'static str,
    /// Whether the answer is sent at all.
    pub answer: bool,
}

impl Verdict {
    fn answered(code: &'static str) -> Self {
        Verdict { code, answer: true }
    }

    /// Do not honour (05), answered.
    pub fn declined() -> Self {
        Verdict::answered(rc::DO_NOT_HONOUR)
    }

    /// Whether the verdict approves (subject to the open-to-buy).
    pub fn approves(&self) -> bool {
        self.code == rc::APPROVED
    }

    /// The verdict once the request's authentication is known: a card that requires
    /// authentication is approved when it carries a verified one.
    pub fn authenticated(self, verified: bool) -> Verdict {
        if verified && self.code == rc::AUTHENTICATION_REQUIRED {
            Verdict::answered(rc::APPROVED)
        } else {
            self
        }
    }
}

/// Decides an authorization for `pan` with expiry `expiry_yymm` at `now_yymm`, in this order:
/// Luhn and known card (14), expiry month (30), expired (54), then the card's behaviour.
pub(crate) fn decide(pan: &str, expiry_yymm: &str, now_yymm: u16) -> Verdict {
    if !pan::luhn_valid(pan) {
        return Verdict::answered(rc::INVALID_CARD_NUMBER);
    }
    let Some(card) = TEST_CARDS.iter().find(|c| c.pan == pan) else {
        return Verdict::answered(rc::INVALID_CARD_NUMBER);
    };
    let Some(expiry) = parse_yymm(expiry_yymm) else {
        return Verdict::answered(rc::FORMAT_ERROR);
    };
    if expiry < now_yymm {
        return Verdict::answered(rc::EXPIRED_CARD);
    }
    match card.behaviour {
        Behaviour::Approve => Verdict::answered(rc::APPROVED),
        Behaviour::Decline(code) => Verdict::answered(code),
        Behaviour::CvcMismatch => Verdict::answered(rc::CVC_MISMATCH),
        Behaviour::AuthenticationRequired => Verdict::answered(rc::AUTHENTICATION_REQUIRED),
        Behaviour::NoAnswer => Verdict {
            code: rc::APPROVED,
            answer: false,
        },
    }
}

/// YYMM with a month in 1..=12, as a comparable number.
fn parse_yymm(yymm: &str) -> Option<u16> {
    if yymm.len() != 4 || !yymm.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let value: u16 = yymm.parse().ok()?;
    (1..=12).contains(&(value % 100)).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u16 = 2_606;

    #[test]
    fn every_test_card_is_luhn_valid_and_listed_once() {
        for (i, c) in TEST_CARDS.iter().enumerate() {
            assert!(pan::luhn_valid(c.pan), "{}", c.pan);
            assert!(
                TEST_CARDS[i + 1..].iter().all(|o| o.pan != c.pan),
                "{}",
                c.pan
            );
        }
        assert_eq!(decide(ISSUER_UNAVAILABLE_CARD, "3412", NOW).code, "91");
        assert!(!decide(NO_ANSWER_CARD, "3412", NOW).answer);
    }

    #[test]
    fn the_table_decides_each_card() {
        let expect = [
            ("4242424242424242", "00"),
            ("9400000000000007", "00"),
            ("4000000000000002", "05"),
            ("4000000000009995", "51"),
            ("4000000000000069", "54"),
            ("4000000000000127", "N7"),
            ("4000000000009987", "41"),
            ("4000000000009979", "43"),
            ("4000000000000119", "96"),
            ("4111111111111111", "14"),
            ("4242424242424241", "14"),
        ];
        for (pan, code) in expect {
            let v = decide(pan, "3412", NOW);
            assert_eq!(v.code, code, "{pan}");
            assert!(v.answer);
        }
    }

    #[test]
    fn expiry_is_checked_against_the_current_month() {
        assert_eq!(decide("4242424242424242", "2606", NOW).code, "00");
        assert_eq!(decide("4242424242424242", "2605", NOW).code, "54");
        assert_eq!(decide("4242424242424242", "2613", NOW).code, "30");
        assert_eq!(decide("4242424242424242", "2600", NOW).code, "30");
        assert_eq!(decide("4242424242424242", "26x1", NOW).code, "30");
    }
}
