//! The issuers' enrolled test cards (the contract's table): which ranges the DS publishes in
//! PRes, and what the ACS answers an AReq for each. A PAN in no range is not enrolled.

use crate::areq::ChallengeInd;

/// What the ACS does with an AReq for a card.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AcsBehaviour {
    /// Always a password challenge.
    Challenge,
    /// Frictionless Y.
    Frictionless,
    /// U, reason 11 (ACS unavailable).
    Unavailable,
    /// Frictionless Y unless the requestor mandates a challenge ("04").
    ChallengeOnMandate,
}

/// One enrolled card: a single-PAN card range.
#[derive(Clone, Copy, Debug)]
pub(crate) struct EnrolledCard {
    pub pan: &'static str,
    pub acs_info_ind: &'static [&'static str],
    pub behaviour: AcsBehaviour,
}

/// `acsInfoInd`: authentication available at the ACS.
const AVAILABLE: &str = "01";
/// DS-reserved `acsInfoInd`: the issuer requires authentication for this range.
const REQUIRED: &str = "80";

const fn card(
    pan: &'static str,
    acs_info_ind: &'static [&'static str],
    behaviour: AcsBehaviour,
) -> EnrolledCard {
    EnrolledCard {
        pan,
        acs_info_ind,
        behaviour,
    }
}

/// Every enrolled card (all Luhn-valid public test numbers; password "1234").
pub(crate) const CARDS: &[EnrolledCard] = &[
    card(
        "4000000000003220",
        &[AVAILABLE, REQUIRED],
        AcsBehaviour::Challenge,
    ),
    card(
        "4000000000003055",
        &[AVAILABLE, REQUIRED],
        AcsBehaviour::Frictionless,
    ),
    card(
        "4000008400001629",
        &[AVAILABLE, REQUIRED],
        AcsBehaviour::Challenge,
    ),
    card(
        "4000000000003097",
        &[AVAILABLE, REQUIRED],
        AcsBehaviour::Unavailable,
    ),
    // Stripe's "always authenticate" card: every payment and setup is challenged, and the
    // network simulator declines it (1A) whenever no verified authentication comes with it.
    card(
        "4000002760003184",
        &[AVAILABLE, REQUIRED],
        AcsBehaviour::Challenge,
    ),
    card(
        "4242424242424242",
        &[AVAILABLE],
        AcsBehaviour::ChallengeOnMandate,
    ),
];

/// The enrolled card `pan`, if any.
pub(crate) fn lookup(pan: &str) -> Option<&'static EnrolledCard> {
    CARDS.iter().find(|c| c.pan == pan)
}

/// What the ACS decides for an AReq before any lockout check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Y without a challenge.
    Frictionless,
    /// C: a password challenge.
    Challenge,
    /// U, reason 11.
    Unavailable,
}

impl EnrolledCard {
    /// The ACS's decision for this card under the requestor's challenge indicator.
    pub(crate) fn decide(&self, ind: ChallengeInd) -> Decision {
        match self.behaviour {
            AcsBehaviour::Challenge => Decision::Challenge,
            AcsBehaviour::Frictionless => Decision::Frictionless,
            AcsBehaviour::Unavailable => Decision::Unavailable,
            AcsBehaviour::ChallengeOnMandate if ind == ChallengeInd::Mandated => {
                Decision::Challenge
            }
            AcsBehaviour::ChallengeOnMandate => Decision::Frictionless,
        }
    }
}

/// The ECI of a successful authentication (Y): Mastercard (2221–2720, 51–55) "02", others "05".
pub(crate) fn eci_authenticated(pan: &str) -> &'static str {
    if is_mastercard(pan) { "02" } else { "05" }
}

fn is_mastercard(pan: &str) -> bool {
    let two: u32 = pan.get(..2).and_then(|p| p.parse().ok()).unwrap_or(0);
    let four: u32 = pan.get(..4).and_then(|p| p.parse().ok()).unwrap_or(0);
    (51..=55).contains(&two) || (2221..=2720).contains(&four)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_decides_as_the_contract_says() {
        let d = |pan, ind| lookup(pan).unwrap().decide(ind);
        assert_eq!(
            d("4000000000003220", ChallengeInd::NoChallenge),
            Decision::Challenge
        );
        assert_eq!(
            d("4000000000003055", ChallengeInd::Mandated),
            Decision::Frictionless
        );
        assert_eq!(
            d("4000000000003097", ChallengeInd::NoPreference),
            Decision::Unavailable
        );
        assert_eq!(
            d("4242424242424242", ChallengeInd::Preferred),
            Decision::Frictionless
        );
        assert_eq!(
            d("4242424242424242", ChallengeInd::Mandated),
            Decision::Challenge
        );
        assert!(lookup("4111111111111111").is_none());
        assert_eq!(eci_authenticated("5555555555554444"), "02");
        assert_eq!(eci_authenticated("2223003122003222"), "02");
        assert_eq!(eci_authenticated("4000000000003220"), "05");
    }
}
