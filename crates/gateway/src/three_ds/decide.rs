//! Whether a confirm authenticates the cardholder with 3-D Secure, and what happens when the
//! issuer could not say (one table, read by [`decide`] and [`Decision::on_unavailable`]).

use crate::models::RequestThreeDSecure;
use paygate_ledger::Currency;
use paygate_three_ds::{ChallengeInd, Enrollment};

/// What a confirm does about 3-D Secure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Authorize without 3-D Secure (as before 3DS existed).
    Skip,
    /// Send an AReq with this `threeDSRequestorChallengeInd`.
    Authenticate {
        challenge: ChallengeInd,
        /// What the merchant asked for (decides what a `U` answer does).
        requested: RequestThreeDSecure,
    },
}

/// What to do when the issuer could not authenticate (`transStatus` U, or the DS down).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unavailable {
    /// Go on unauthenticated (ECI 07): the rule or the issuer asked, but never blocks.
    Proceed,
    /// Fail the attempt (`payment_intent_authentication_failure`): the merchant insisted.
    Fail,
}

impl Decision {
    /// `automatic` goes ahead without liability shift; `any` and `challenge` fail.
    pub fn on_unavailable(requested: RequestThreeDSecure) -> Unavailable {
        match requested {
            RequestThreeDSecure::Automatic => Unavailable::Proceed,
            RequestThreeDSecure::Any | RequestThreeDSecure::Challenge => Unavailable::Fail,
        }
    }
}

/// The decision for a card whose enrollment is `enrollment`, paying `amount` minor units of
/// `currency`, when the merchant asked for `requested` (absent = `automatic`, as Stripe) and
/// the Korean rule is `krw_from` (KRW payments at or above it).
pub fn decide(
    requested: Option<RequestThreeDSecure>,
    enrollment: &Enrollment,
    amount: i64,
    currency: Currency,
    krw_from: Option<i64>,
) -> Decision {
    let requested = requested.unwrap_or_default();
    let (enrolled, required) = match enrollment {
        Enrollment::Enrolled { required, .. } => (true, *required),
        // Before the first PRes nothing is known: a card counts as not enrolled.
        Enrollment::NotEnrolled | Enrollment::Unknown => (false, false),
    };
    let krw_rule =
        currency.code().eq_ignore_ascii_case("krw") && krw_from.is_some_and(|from| amount >= from);
    let run = match requested {
        RequestThreeDSecure::Automatic => enrolled && (required || krw_rule),
        RequestThreeDSecure::Any => enrolled,
        RequestThreeDSecure::Challenge => true,
    };
    let challenge = match requested {
        RequestThreeDSecure::Challenge => ChallengeInd::Mandated,
        _ => ChallengeInd::NoPreference,
    };
    if run {
        Decision::Authenticate {
            challenge,
            requested,
        }
    } else {
        Decision::Skip
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enrolled(required: bool) -> Enrollment {
        Enrollment::Enrolled {
            required,
            acs_end_version: "2.2.0".into(),
        }
    }

    fn krw() -> Currency {
        Currency::parse("krw").unwrap()
    }

    #[test]
    fn automatic_runs_when_the_issuer_or_the_krw_rule_requires_it_and_the_card_is_enrolled() {
        let auto = Some(RequestThreeDSecure::Automatic);
        assert!(matches!(
            decide(auto, &enrolled(true), 1000, krw(), None),
            Decision::Authenticate { .. }
        ));
        assert_eq!(
            decide(auto, &enrolled(false), 1000, krw(), None),
            Decision::Skip
        );
        assert!(matches!(
            decide(auto, &enrolled(false), 300_000, krw(), Some(300_000)),
            Decision::Authenticate { .. }
        ));
        assert_eq!(
            decide(auto, &enrolled(false), 299_999, krw(), Some(300_000)),
            Decision::Skip
        );
        assert_eq!(
            decide(
                auto,
                &Enrollment::NotEnrolled,
                900_000,
                krw(),
                Some(300_000)
            ),
            Decision::Skip
        );
        assert_eq!(
            decide(None, &Enrollment::Unknown, 1, krw(), None),
            Decision::Skip
        );
    }

    #[test]
    fn any_needs_enrollment_and_challenge_always_runs_with_a_mandate() {
        let any = Some(RequestThreeDSecure::Any);
        assert!(matches!(
            decide(any, &enrolled(false), 1, krw(), None),
            Decision::Authenticate {
                challenge: ChallengeInd::NoPreference,
                ..
            }
        ));
        assert_eq!(
            decide(any, &Enrollment::NotEnrolled, 1, krw(), None),
            Decision::Skip
        );
        assert!(matches!(
            decide(
                Some(RequestThreeDSecure::Challenge),
                &Enrollment::NotEnrolled,
                1,
                krw(),
                None
            ),
            Decision::Authenticate {
                challenge: ChallengeInd::Mandated,
                ..
            }
        ));
    }
}
