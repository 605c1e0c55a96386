//! The card mapping, and the connector against the network simulator.

use super::*;
use paygate_iso8583::Profile;
use paygate_network::card::{de, de48};
use paygate_network::link::LinkConfig;
use paygate_payments::Currency;
use paygate_sim_network::{self as sim, JournalEntry, SimConfig};
use paygate_vault::{Cvc, Expiry, Pan};

#[test]
fn network_codes_map_to_stripes_decline_codes() {
    let cases = [
        ("51", "card_declined", "insufficient_funds"),
        ("54", "expired_card", "expired_card"),
        ("N7", "incorrect_cvc", "incorrect_cvc"),
        ("1A", "authentication_required", "authentication_required"),
        ("14", "incorrect_number", "incorrect_number"),
        ("96", "processing_error", "processing_error"),
        ("30", "processing_error", "processing_error"),
        ("07", "card_declined", "pickup_card"),
        ("ZZ", "card_declined", "generic_decline"),
    ];
    for (rc, code, decline_code) in cases {
        let d = decline_for(rc);
        assert_eq!((d.code, d.decline_code), (code, decline_code), "DE 39 {rc}");
    }
}

#[test]
fn the_acceptor_id_is_the_merchants_last_15_characters_padded() {
    assert_eq!(acceptor_id("acct_1"), "acct_1         ");
    assert_eq!(
        acceptor_id("acct_0123456789abcdefXYZ"),
        "23456789abcdefXYZ"[2..]
    );
    assert_eq!(acceptor_id("acct_0123456789abcdefXYZ").len(), 15);
}

async fn connector() -> (CardConnector, sim::SimHandle, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = SimConfig::new("127.0.0.1:0".parse().unwrap(), dir.path());
    cfg.profile = Profile::Ascii;
    let handle = sim::start(cfg).await.unwrap();
    let mut lc = LinkConfig::new(handle.local_addr().to_string(), "PGCONN01", "123456");
    lc.profile = Profile::Ascii;
    let link = Link::connect(lc).await.unwrap();
    (CardConnector::new(link), handle, dir)
}

fn request<'a>(
    pan: &'a Pan,
    expiry: &'a Expiry,
    cvc: &'a Cvc,
    amount: i64,
) -> AuthorizationRequest<'a> {
    AuthorizationRequest {
        method: PaymentMethodData::Card {
            pan,
            expiry,
            cvc: Some(cvc),
        },
        amount,
        currency: Currency::parse("krw").unwrap(),
        kind: paygate_payments::AuthorizationKind::Authorization,
        merchant_id: "acct_1",
        authentication: None,
        stored_credential: None,
        installments: None,
    }
}

#[tokio::test]
async fn an_approved_authorization_is_captured_and_a_stored_capture_resends_the_same_message() {
    let (c, _sim, dir) = connector().await;
    let pan = Pan::parse("4242424242424242").unwrap();
    let expiry = Expiry::new(12, 2034).unwrap();
    let cvc = Cvc::parse("123", pan.brand()).unwrap();
    let prepared = c
        .prepare_authorization(&request(&pan, &expiry, &cvc, 5_000))
        .unwrap();
    // The stored reference is the network's name of the message (no card data in it).
    let stored = serde_json::to_string(&prepared.reference).unwrap();
    assert!(!stored.contains("4242424242424242") && stored.contains("\"mti\":\"0100\""));
    let AuthorizationOutcome::Approved {
        reference,
        approval_code,
        network_transaction_id: Some(rrn),
        ..
    } = c.send_authorization(prepared).await
    else {
        panic!("expected an approval");
    };
    assert!(approval_code.is_some());
    let f = c
        .prepare_follow_up(FollowUpKind::Capture, &reference, &rrn, 5_000, 410)
        .unwrap();
    // The recovery record survives a trip through the store unchanged...
    let record: ConnectorRef =
        serde_json::from_str(&serde_json::to_string(&f.record).unwrap()).unwrap();
    assert_eq!(record, f.record);
    assert_eq!(c.follow_up_amount(&record).unwrap(), 5_000);
    assert_eq!(c.send_follow_up(f).await, FollowUpAnswer::Approved);
    // ...and re-sends the same capture: the network replays its answer, counting it once.
    assert_eq!(c.resend_follow_up(&record).await, FollowUpAnswer::Approved);
    let captures = sim::journal(dir.path())
        .unwrap()
        .into_iter()
        .filter(|e| matches!(e, JournalEntry::Capture(_)))
        .count();
    assert_eq!(captures, 1);
}

#[tokio::test]
async fn a_decline_carries_the_network_code_and_its_mapping() {
    let (c, _sim, _dir) = connector().await;
    let pan = Pan::parse("4000000000009995").unwrap();
    let expiry = Expiry::new(12, 2034).unwrap();
    let cvc = Cvc::parse("123", pan.brand()).unwrap();
    let prepared = c
        .prepare_authorization(&request(&pan, &expiry, &cvc, 5_000))
        .unwrap();
    let AuthorizationOutcome::Declined {
        network_code,
        decline,
        ..
    } = c.send_authorization(prepared).await
    else {
        panic!("expected a decline");
    };
    assert_eq!(network_code, "51");
    assert_eq!(decline.decline_code, "insufficient_funds");
}

#[tokio::test]
async fn a_3ds_authentication_reaches_de48_of_the_authorization() {
    let (c, _sim, _dir) = connector().await;
    let pan = Pan::parse("4000000000003055").unwrap();
    let expiry = Expiry::new(12, 2034).unwrap();
    let cvc = Cvc::parse("123", pan.brand()).unwrap();
    let auth = paygate_payments::Authentication {
        eci: "05".into(),
        cavv: Some("kJMZRiDunhPsBwAU0hu9rrx0eWN6".into()),
        ds_trans_id: Some("8a880dc0-d2d2-4067-bcb1-b08d1690b26e".into()),
        version: "2.2.0".into(),
        program: paygate_payments::AuthenticationProgram::ThreeDSecure,
    };
    let with_auth = AuthorizationRequest {
        authentication: Some(&auth),
        ..request(&pan, &expiry, &cvc, 5_000)
    };
    let de48_of = |req: &AuthorizationRequest<'_>| {
        let prepared = c.prepare_authorization(req).unwrap();
        let p = prepared.message.downcast::<PreparedAuth>().unwrap();
        let field = p.message().get(de::ADDITIONAL_DATA).unwrap().to_vec();
        de48::decode(&field).unwrap()
    };
    let subs = de48_of(&with_auth);
    let tags: Vec<u8> = subs.iter().map(|(t, _)| *t).collect();
    assert_eq!(tags, [92, 42, 43, 44]);
    assert_eq!(de48::find(&subs, de48::TAG_ECI), Some("05"));
    assert_eq!(
        de48::find(&subs, de48::TAG_CAVV),
        Some("kJMZRiDunhPsBwAU0hu9rrx0eWN6")
    );
    assert_eq!(
        de48::find(&subs, de48::TAG_DS_TRANS_ID),
        Some("8a880dc0-d2d2-4067-bcb1-b08d1690b26e")
    );
    // Without authentication only the CVC travels.
    let subs = de48_of(&request(&pan, &expiry, &cvc, 5_000));
    assert_eq!(subs, vec![(92, "123".to_owned())]);
}

#[tokio::test]
async fn an_account_verification_holds_nothing_and_later_uses_name_the_initial_rrn() {
    let (c, _sim, dir) = connector().await;
    let pan = Pan::parse("4242424242424242").unwrap();
    let expiry = Expiry::new(12, 2034).unwrap();
    let cvc = Cvc::parse("123", pan.brand()).unwrap();
    let verify = AuthorizationRequest {
        kind: AuthorizationKind::AccountVerification,
        stored_credential: Some(StoredCredential {
            usage: StoredCredentialUsage::Initial,
            original_network_transaction_id: None,
        }),
        ..request(&pan, &expiry, &cvc, 0)
    };
    let AuthorizationOutcome::Approved {
        network_transaction_id: Some(initial),
        ..
    } = c
        .send_authorization(c.prepare_authorization(&verify).unwrap())
        .await
    else {
        panic!("the verification of a good card is approved");
    };
    let mit = AuthorizationRequest {
        kind: AuthorizationKind::Purchase,
        stored_credential: Some(StoredCredential {
            usage: StoredCredentialUsage::Recurring,
            original_network_transaction_id: Some(&initial),
        }),
        method: PaymentMethodData::Card {
            pan: &pan,
            expiry: &expiry,
            cvc: None,
        },
        ..request(&pan, &expiry, &cvc, 9_900)
    };
    let outcome = c
        .send_authorization(c.prepare_authorization(&mit).unwrap())
        .await;
    assert!(matches!(outcome, AuthorizationOutcome::Approved { .. }));
    // The verification of the N7 card is declined like its payments.
    let bad = Pan::parse("4000000000000127").unwrap();
    let declined = c
        .send_authorization(
            c.prepare_authorization(&AuthorizationRequest {
                kind: AuthorizationKind::AccountVerification,
                ..request(&bad, &expiry, &cvc, 0)
            })
            .unwrap(),
        )
        .await;
    assert!(
        matches!(declined, AuthorizationOutcome::Declined { ref network_code, .. } if network_code == "N7")
    );
    let journal = sim::journal(dir.path()).unwrap();
    let JournalEntry::AccountVerification(v) = &journal[0] else {
        panic!("first entry: {:?}", journal[0]);
    };
    assert_eq!(
        (v.mti.as_str(), v.amount, v.response_code.as_str()),
        ("0100", 0, "00")
    );
    assert_eq!(v.stored_credential.as_deref(), Some("initial"));
    let JournalEntry::Authorization(p) = &journal[1] else {
        panic!("second entry: {:?}", journal[1]);
    };
    assert_eq!(p.stored_credential.as_deref(), Some("recurring"));
    assert_eq!(p.original_rrn.as_deref(), Some(initial.as_str()));
    assert_eq!(p.captured_amount, 9_900);
    assert!(matches!(journal[2], JournalEntry::AccountVerification(_)));
}

#[tokio::test]
async fn the_always_authenticate_card_is_declined_1a_without_authentication() {
    let (c, _sim, _dir) = connector().await;
    let pan = Pan::parse("4000002760003184").unwrap();
    let expiry = Expiry::new(12, 2034).unwrap();
    let cvc = Cvc::parse("123", pan.brand()).unwrap();
    let outcome = c
        .send_authorization(
            c.prepare_authorization(&request(&pan, &expiry, &cvc, 500))
                .unwrap(),
        )
        .await;
    let AuthorizationOutcome::Declined { decline, .. } = outcome else {
        panic!("expected a decline");
    };
    assert_eq!(decline.code, "authentication_required");
}
