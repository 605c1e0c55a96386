//! Each test card through a real socket, decided by the simulator as documented in
//! docs/test-cards.md.

mod common;

use common::{TestSim, authorize, code, req};
use paygate_iso8583::Profile;
use paygate_network::link::AuthKind;
use paygate_sim_network::{DEFAULT_OPEN_TO_BUY_MINOR, ISSUER_UNAVAILABLE_CARD};

const EXPECTED: [(&str, &str); 14] = [
    ("4242424242424242", "00"),
    ("5555555555554444", "00"),
    ("378282246310005", "00"),
    ("3566002020360505", "00"),
    ("6200000000000005", "00"),
    ("9400000000000007", "00"),
    ("4000000000000002", "05"),
    ("4000000000009995", "51"),
    ("4000000000000069", "54"),
    ("4000000000000127", "N7"),
    ("4000000000009987", "41"),
    ("4000000000009979", "43"),
    ("4000000000000119", "96"),
    (ISSUER_UNAVAILABLE_CARD, "91"),
];

#[tokio::test]
async fn every_test_card_gets_its_documented_answer_in_both_profiles() {
    for profile in Profile::ALL {
        let sim = TestSim::start(profile, DEFAULT_OPEN_TO_BUY_MINOR).await;
        let link = sim.link("PGCARDS1").await;
        for (pan, expected) in EXPECTED {
            let out = authorize(&link, &req(pan, 1_500)).await.expect("answered");
            assert_eq!(out.response_code, expected, "{pan} ({profile})");
            assert_eq!(out.amount_minor, 1_500);
            assert_eq!(out.rrn.as_deref().map(str::len), Some(12), "{pan}");
            if expected == "00" {
                assert!(out.approved());
                assert_eq!(out.approval_code.as_deref().map(str::len), Some(6), "{pan}");
            } else {
                assert!(!out.approved(), "{pan}");
                assert_eq!(out.approval_code, None, "{pan}");
            }
        }
        sim.handle.shutdown().await.unwrap();
    }
}

#[tokio::test]
async fn an_unknown_luhn_valid_card_is_14_and_an_expired_one_54() {
    let sim = TestSim::start(Profile::Ascii, DEFAULT_OPEN_TO_BUY_MINOR).await;
    let link = sim.link("PGCARDS2").await;
    assert_eq!(code(&link, "4111111111111111", 100).await, "14");
    assert_eq!(
        code(&link, "4242424242424241", 100).await,
        "14",
        "Luhn-invalid"
    );
    let expired = common::req("4242424242424242", 100);
    let expired = paygate_network::link::AuthRequest {
        expiry_yymm: "2001",
        ..expired
    };
    assert_eq!(
        authorize(&link, &expired).await.unwrap().response_code,
        "54"
    );
}

#[tokio::test]
async fn the_cvc_card_answers_n7_and_purchases_work_like_authorizations() {
    let sim = TestSim::start(Profile::Binary, DEFAULT_OPEN_TO_BUY_MINOR).await;
    let link = sim.link("PGCARDS3").await;
    let without_cvc = paygate_network::link::AuthRequest {
        cvc: None,
        ..req("4000000000000127", 100)
    };
    assert_eq!(
        authorize(&link, &without_cvc).await.unwrap().response_code,
        "N7"
    );
    // A 3-D Secure result the issuer cannot verify (a made-up CAVV, no DS transaction id) is
    // refused like any other unverifiable authentication.
    let unverifiable = paygate_network::link::AuthRequest {
        kind: AuthKind::Purchase,
        authentication: Some(paygate_network::link::CardAuthentication {
            eci: "05",
            cavv_b64: Some("kJMZRiDunhPsBwAU0hu9rrx0eWN6"),
            ds_trans_id: None,
            program: Default::default(),
        }),
        ..req("5555555555554444", 2_000)
    };
    let refused = authorize(&link, &unverifiable).await.unwrap();
    assert_eq!(refused.response_code, "05");
    let purchase = paygate_network::link::AuthRequest {
        kind: AuthKind::Purchase,
        ..req("5555555555554444", 2_000)
    };
    let out = authorize(&link, &purchase).await.unwrap();
    assert!(out.approved());
    assert_eq!(out.net_ref.mti, "0200");
    let entry = sim.authorization(&out.net_ref);
    assert_eq!(
        entry.captured_amount, 2_000,
        "a purchase is captured at once"
    );
    assert_eq!(entry.rrn, out.rrn.unwrap());
}
