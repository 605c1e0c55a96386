//! The payment mix and the pure request/response mapping (no sockets here).
//!
//! Request bodies are built once per run: a payment body differs only by test card and capture
//! method, so each operation sends a refcounted clone of one of three `Bytes` templates.

use crate::stats::ErrorKind;
use bytes::Bytes;
use serde::Deserialize;

/// Stripe's documented always-approve Visa test card.
const APPROVE_PAN: &str = "4242424242424242";
/// Stripe's documented generic-decline test card (paygate declines it with 402 `card_error`).
const DECLINE_PAN: &str = "4000000000000002";
/// Longest payment intent id accepted in a response; it is put into a capture URL.
const MAX_ID_BYTES: usize = 255;

/// What one operation does, derived deterministically from its sequence number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct OpPlan {
    /// Use the decline card (then no capture or refund follows).
    pub decline: bool,
    /// `capture_method=manual`, then `POST /v1/payment_intents/{id}/capture`.
    pub manual_capture: bool,
    /// `POST /v1/refunds` after the payment (and after its capture, if manual).
    pub refund: bool,
}

/// Shares of declines, manual captures and refunds, in percent.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Mix {
    pub decline_pct: u8,
    pub capture_pct: u8,
    pub refund_pct: u8,
}

/// True for exactly `pct` of every 100 consecutive `i`, spread evenly (pct 5: i = 19, 39, ...).
/// Deterministic so a short run shows the requested decline share exactly, not by luck.
fn spread_evenly(i: u64, pct: u8) -> bool {
    let pct = u64::from(pct);
    (i % 100 + 1) * pct / 100 != (i % 100) * pct / 100
}

/// SplitMix64: a well-mixed, deterministic 64-bit hash of the sequence number.
fn splitmix64(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Mix {
    /// The plan of operation `seq`. Declines are spread evenly; captures and refunds are chosen
    /// by a hash of `seq` among the approved operations, independently of each other.
    pub fn plan(&self, seq: u64) -> OpPlan {
        if spread_evenly(seq, self.decline_pct) {
            return OpPlan {
                decline: true,
                manual_capture: false,
                refund: false,
            };
        }
        let roll = splitmix64(seq);
        OpPlan {
            decline: false,
            manual_capture: roll % 100 < u64::from(self.capture_pct),
            refund: (roll >> 32) % 100 < u64::from(self.refund_pct),
        }
    }
}

/// The three payment bodies of a run.
#[derive(Debug, Clone)]
pub(crate) struct Bodies {
    approve_automatic: Bytes,
    approve_manual: Bytes,
    decline: Bytes,
}

impl Bodies {
    /// `currency` must already be validated (three ASCII letters); `exp_year` in the future.
    pub fn new(amount_minor: u64, currency: &str, exp_year: u32) -> Self {
        let body = |pan: &str, manual: bool| {
            let mut s = format!(
                "amount={amount_minor}&currency={currency}&confirm=true\
                 &payment_method_data[type]=card\
                 &payment_method_data[card][number]={pan}\
                 &payment_method_data[card][exp_month]=12\
                 &payment_method_data[card][exp_year]={exp_year}\
                 &payment_method_data[card][cvc]=123"
            );
            if manual {
                s.push_str("&capture_method=manual");
            }
            Bytes::from(s)
        };
        Self {
            approve_automatic: body(APPROVE_PAN, false),
            approve_manual: body(APPROVE_PAN, true),
            decline: body(DECLINE_PAN, false),
        }
    }

    /// The body for `plan` (a refcount bump, no copy).
    pub fn for_plan(&self, plan: &OpPlan) -> Bytes {
        match (plan.decline, plan.manual_capture) {
            (true, _) => self.decline.clone(),
            (false, true) => self.approve_manual.clone(),
            (false, false) => self.approve_automatic.clone(),
        }
    }
}

/// A year safely in the future for the test card's expiry, so the bench does not start failing
/// on some New Year's Day (Gregorian average year; being off by a day does not matter here).
pub(crate) fn card_exp_year() -> u32 {
    const SECONDS_PER_YEAR: u64 = 31_556_952;
    let now_s = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    1970 + u32::try_from(now_s / SECONDS_PER_YEAR).unwrap_or(0) + 4
}

/// What a payment answer means.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum PaymentReply<'a> {
    /// Confirmed; `id` is the payment intent id (checked to be URL-safe).
    Approved { id: &'a str },
    /// 402 `card_error`: an expected outcome, not an error.
    Declined,
    /// Anything else.
    Failed(ErrorKind),
}

#[derive(Deserialize)]
struct IntentBody<'a> {
    #[serde(borrow)]
    id: &'a str,
    #[serde(borrow)]
    status: &'a str,
}

#[derive(Deserialize)]
struct ErrorEnvelope<'a> {
    #[serde(borrow)]
    error: ErrorBody<'a>,
}

#[derive(Deserialize)]
struct ErrorBody<'a> {
    #[serde(rename = "type", borrow)]
    kind: &'a str,
}

/// Errors by status class; 1xx/3xx are not answers this API gives.
fn status_error(status: u16) -> ErrorKind {
    match status {
        400..=499 => ErrorKind::Http4xx,
        500..=599 => ErrorKind::Http5xx,
        _ => ErrorKind::UnexpectedBody,
    }
}

fn is_url_safe_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID_BYTES
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Maps a `POST /v1/payment_intents` answer. An approval of the decline card counts as
/// `unexpected_body`: the mix would silently not be what was asked for. A decline of the approve
/// card counts as a decline: declining is always a legitimate issuer answer.
pub(crate) fn classify_payment<'a>(status: u16, body: &'a [u8], plan: &OpPlan) -> PaymentReply<'a> {
    match status {
        200 => {
            let Ok(intent) = serde_json::from_slice::<IntentBody<'a>>(body) else {
                return PaymentReply::Failed(ErrorKind::UnexpectedBody);
            };
            let expected = if plan.manual_capture {
                "requires_capture"
            } else {
                "succeeded"
            };
            if plan.decline || intent.status != expected || !is_url_safe_id(intent.id) {
                return PaymentReply::Failed(ErrorKind::UnexpectedBody);
            }
            PaymentReply::Approved { id: intent.id }
        }
        402 => match serde_json::from_slice::<ErrorEnvelope<'_>>(body) {
            Ok(envelope) if envelope.error.kind == "card_error" => PaymentReply::Declined,
            _ => PaymentReply::Failed(ErrorKind::UnexpectedBody),
        },
        other => PaymentReply::Failed(status_error(other)),
    }
}

/// Maps a capture or refund answer: 2xx with a JSON object carrying an `id`.
pub(crate) fn classify_follow_up(status: u16, body: &[u8]) -> Result<(), ErrorKind> {
    #[derive(Deserialize)]
    struct WithId<'a> {
        #[serde(borrow)]
        id: &'a str,
    }
    match status {
        200..=299 => match serde_json::from_slice::<WithId<'_>>(body) {
            Ok(object) if !object.id.is_empty() => Ok(()),
            _ => Err(ErrorKind::UnexpectedBody),
        },
        other => Err(status_error(other)),
    }
}

/// Maps a `GET /healthz` answer: any 2xx (the body is not parsed; it is the bare cost we want).
pub(crate) fn classify_bare(status: u16) -> Result<(), ErrorKind> {
    match status {
        200..=299 => Ok(()),
        other => Err(status_error(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const APPROVE: OpPlan = OpPlan {
        decline: false,
        manual_capture: false,
        refund: false,
    };

    #[test]
    fn five_percent_declines_are_every_twentieth_operation() {
        let mix = Mix {
            decline_pct: 5,
            capture_pct: 0,
            refund_pct: 0,
        };
        let declines: Vec<u64> = (0..100).filter(|&i| mix.plan(i).decline).collect();
        assert_eq!(declines, [19, 39, 59, 79, 99]);
        assert_eq!((0..10_000).filter(|&i| mix.plan(i).decline).count(), 500);
    }

    #[test]
    fn each_share_is_exact_for_spread_and_close_for_hashed_choices() {
        for pct in [0u8, 1, 33, 50, 100] {
            let n = (0..1_000).filter(|&i| spread_evenly(i, pct)).count();
            assert_eq!(n, usize::from(pct) * 10, "pct {pct}");
        }
        let mix = Mix {
            decline_pct: 0,
            capture_pct: 30,
            refund_pct: 10,
        };
        let plans: Vec<OpPlan> = (0..10_000).map(|i| mix.plan(i)).collect();
        let captures = plans.iter().filter(|p| p.manual_capture).count();
        let refunds = plans.iter().filter(|p| p.refund).count();
        assert!((2_700..=3_300).contains(&captures), "{captures}");
        assert!((800..=1_200).contains(&refunds), "{refunds}");
    }

    #[test]
    fn declined_operations_are_never_captured_or_refunded() {
        let mix = Mix {
            decline_pct: 50,
            capture_pct: 100,
            refund_pct: 100,
        };
        for i in 0..1_000 {
            let plan = mix.plan(i);
            assert_eq!(plan.decline, !plan.manual_capture, "op {i}");
            assert_eq!(plan.manual_capture, plan.refund, "op {i}");
        }
    }

    #[test]
    fn bodies_carry_the_card_amount_currency_and_capture_method() {
        let bodies = Bodies::new(1000, "krw", 2031);
        let text = |b: Bytes| String::from_utf8(b.to_vec()).expect("utf-8");
        let approve = text(bodies.for_plan(&APPROVE));
        assert!(
            approve.starts_with("amount=1000&currency=krw&confirm=true&"),
            "{approve}"
        );
        assert!(approve.contains("[card][number]=4242424242424242&"));
        assert!(approve.contains("[card][exp_year]=2031&"));
        assert!(!approve.contains("capture_method"));
        let manual = text(bodies.for_plan(&OpPlan {
            manual_capture: true,
            ..APPROVE
        }));
        assert!(manual.ends_with("&capture_method=manual"));
        let decline = text(bodies.for_plan(&OpPlan {
            decline: true,
            ..APPROVE
        }));
        assert!(decline.contains("[card][number]=4000000000000002&"));
        assert!(card_exp_year() > 2026);
    }

    #[test]
    fn payment_answers_map_to_approved_declined_or_an_error_kind() {
        let ok = br#"{"id":"pi_1","object":"payment_intent","status":"succeeded"}"#;
        assert_eq!(
            classify_payment(200, ok, &APPROVE),
            PaymentReply::Approved { id: "pi_1" }
        );
        let held = br#"{"id":"pi_2","status":"requires_capture"}"#;
        let manual = OpPlan {
            manual_capture: true,
            ..APPROVE
        };
        assert_eq!(
            classify_payment(200, held, &manual),
            PaymentReply::Approved { id: "pi_2" }
        );
        let unexpected = PaymentReply::Failed(ErrorKind::UnexpectedBody);
        assert_eq!(classify_payment(200, held, &APPROVE), unexpected);
        assert_eq!(
            classify_payment(
                200,
                ok,
                &OpPlan {
                    decline: true,
                    ..APPROVE
                }
            ),
            unexpected
        );
        assert_eq!(classify_payment(200, b"not json", &APPROVE), unexpected);
        assert_eq!(
            classify_payment(200, br#"{"id":"../x","status":"succeeded"}"#, &APPROVE),
            unexpected
        );
        let card_error = br#"{"error":{"type":"card_error","code":"card_declined","decline_code":"generic_decline"}}"#;
        assert_eq!(
            classify_payment(402, card_error, &APPROVE),
            PaymentReply::Declined
        );
        assert_eq!(
            classify_payment(402, br#"{"error":{"type":"api_error"}}"#, &APPROVE),
            unexpected
        );
        assert_eq!(
            classify_payment(401, b"{}", &APPROVE),
            PaymentReply::Failed(ErrorKind::Http4xx)
        );
        assert_eq!(
            classify_payment(503, b"", &APPROVE),
            PaymentReply::Failed(ErrorKind::Http5xx)
        );
        assert_eq!(classify_payment(302, b"", &APPROVE), unexpected);
    }

    #[test]
    fn follow_up_and_bare_answers_map_by_status_and_body() {
        assert_eq!(
            classify_follow_up(200, br#"{"id":"re_1","status":"succeeded"}"#),
            Ok(())
        );
        assert_eq!(
            classify_follow_up(200, b"[]"),
            Err(ErrorKind::UnexpectedBody)
        );
        assert_eq!(classify_follow_up(409, b"{}"), Err(ErrorKind::Http4xx));
        assert_eq!(classify_bare(200), Ok(()));
        assert_eq!(classify_bare(404), Err(ErrorKind::Http4xx));
        assert_eq!(classify_bare(500), Err(ErrorKind::Http5xx));
    }
}
