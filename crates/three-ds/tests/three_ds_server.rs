//! The 3DS Server against a fake DS over HTTP: card ranges, frictionless, challenge, failures,
//! a silent DS, an Erro; then the end of a challenge (RReq, CRes).

mod challenge_results;
mod fake_ds;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use fake_ds::*;
use paygate_ledger::Currency;
use paygate_three_ds::messages::ErrorCode;
use paygate_three_ds::{
    AuthenticationPurpose, AuthenticationRequest, AuthenticationStart, ChallengeInd,
    ChallengeWindowSize, Enrollment, Error, ThreeDsServer, TransStatus,
};
use paygate_vault::{Expiry, Pan};
use serde_json::Value;
use uuid::Uuid;

/// Authenticates 5,000 KRW on `pan` and returns what started, with our transaction id.
async fn authenticate(
    server: &ThreeDsServer,
    pan: &str,
    challenge: ChallengeInd,
) -> (Result<AuthenticationStart, Error>, Uuid) {
    let pan = Pan::parse(pan).unwrap();
    let expiry = Expiry::new(12, 2030).unwrap();
    let browser = browser();
    let id = Uuid::new_v4();
    let notification_url = server.requestor().notification_url(id);
    let req = AuthenticationRequest {
        three_ds_server_trans_id: id,
        purpose: AuthenticationPurpose::Payment,
        pan: &pan,
        expiry: &expiry,
        amount_minor: 5_000,
        currency: Currency::parse("krw").unwrap(),
        challenge,
        window_size: ChallengeWindowSize::FullScreen,
        browser: &browser,
        notification_url: &notification_url,
        acquirer_merchant_id: "acct_1",
        merchant_name: "Seoul Coffee",
    };
    (server.authenticate(&req).await, id)
}

#[tokio::test]
async fn card_ranges_from_the_pres_say_which_cards_are_enrolled_and_required() {
    let ds = start().await;
    let server = ds.server();
    let pan = |p: &str| Pan::parse(p).unwrap();
    assert_eq!(server.enrollment(&pan(PAN_CHALLENGE)), Enrollment::Unknown);
    assert_eq!(server.refresh_card_ranges().await.unwrap(), 3);
    let enrolled = |required| Enrollment::Enrolled {
        required,
        acs_end_version: "2.2.0".into(),
    };
    assert_eq!(server.enrollment(&pan(PAN_CHALLENGE)), enrolled(true));
    assert_eq!(server.enrollment(&pan("4242424242424242")), enrolled(false));
    assert_eq!(
        server.enrollment(&pan(PAN_MASTERCARD)),
        Enrollment::NotEnrolled
    );
}

#[tokio::test]
async fn the_refresh_task_loads_the_ranges_at_once() {
    let ds = start().await;
    let server = ds.server();
    let task = server.spawn_card_range_refresh(std::time::Duration::from_secs(3600));
    let pan = Pan::parse(PAN_CHALLENGE).unwrap();
    // Wait (bounded) for the first refresh, which runs as soon as the task starts.
    for _ in 0..500 {
        if server.enrollment(&pan) != Enrollment::Unknown {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    task.abort();
    assert!(matches!(
        server.enrollment(&pan),
        Enrollment::Enrolled { required: true, .. }
    ));
}

#[tokio::test]
async fn a_frictionless_y_gives_the_brand_eci_the_cavv_and_the_ds_trans_id() {
    let ds = start().await;
    let (start, id) =
        authenticate(&ds.server(), PAN_FRICTIONLESS, ChallengeInd::NoPreference).await;
    let AuthenticationStart::Frictionless(outcome) = start.unwrap() else {
        panic!("expected a frictionless result");
    };
    assert_eq!(outcome.trans_status, TransStatus::Authenticated);
    let auth = outcome.authorization_data().unwrap();
    assert_eq!(auth.eci, "05");
    assert_eq!(auth.cavv.as_deref(), Some(CAVV));
    assert_eq!(auth.ds_trans_id.as_deref(), Some(DS_TRANS_ID));
    assert_eq!(auth.version, "2.2.0");
    assert!(!format!("{outcome:?} {auth:?}").contains(CAVV));

    // The AReq the DS received is contract-shaped.
    let areq = ds.seen.areqs.lock().unwrap()[0].clone();
    let field = |name: &str| {
        areq[name]
            .as_str()
            .unwrap_or_else(|| panic!("{name} missing"))
    };
    assert_eq!(field("messageType"), "AReq");
    assert_eq!(field("messageVersion"), "2.2.0");
    assert_eq!(field("threeDSServerTransID"), id.to_string());
    assert_eq!(field("acctNumber"), PAN_FRICTIONLESS);
    assert_eq!(field("cardExpiryDate"), "3012");
    assert_eq!(field("purchaseAmount"), "5000");
    assert_eq!(field("purchaseCurrency"), "410");
    assert_eq!(field("purchaseExponent"), "0");
    assert_eq!(field("purchaseDate").len(), 14);
    assert_eq!(field("deviceChannel"), "02");
    assert_eq!(field("messageCategory"), "01");
    assert_eq!(field("threeDSRequestorChallengeInd"), "01");
    assert_eq!(
        field("threeDSServerURL"),
        "http://127.0.0.1:8080/v1/3ds/rreq"
    );
    assert_eq!(
        field("notificationURL"),
        format!("http://127.0.0.1:8080/v1/3ds/notify/{id}")
    );
    assert_eq!(field("merchantCountryCode"), "410");
    assert_eq!(field("browserTZ"), "-540");
    assert_eq!(field("browserJavascriptEnabled"), "true");
    assert!(
        areq.as_object().unwrap().values().all(Value::is_string),
        "every value a string"
    );
}

#[tokio::test]
async fn a_mastercard_result_carries_mastercards_eci_and_another_is_refused() {
    let ds = start().await;
    let server = ds.server();
    let (start, _) = authenticate(&server, PAN_MASTERCARD, ChallengeInd::NoPreference).await;
    let AuthenticationStart::Frictionless(outcome) = start.unwrap() else {
        panic!("expected a frictionless result");
    };
    assert_eq!(outcome.eci.as_deref(), Some("02"));
    let (start, _) = authenticate(&server, PAN_WRONG_ECI, ChallengeInd::NoPreference).await;
    let Err(Error::InvalidMessage(e)) = start else {
        panic!("expected a refusal, got {start:?}");
    };
    assert_eq!(
        (e.code, e.field.as_str()),
        (ErrorCode::InvalidFormat, "eci")
    );
}

#[tokio::test]
async fn a_challenge_gives_the_acs_url_and_a_creq_for_this_transaction() {
    let ds = start().await;
    let (start, id) = authenticate(&ds.server(), PAN_CHALLENGE, ChallengeInd::Mandated).await;
    let AuthenticationStart::Challenge(c) = start.unwrap() else {
        panic!("expected a challenge");
    };
    assert_eq!(c.acs_url, "http://127.0.0.1:7400/acs/challenge");
    assert_eq!(c.acs_trans_id.to_string(), ACS_TRANS_ID);
    assert!(!c.creq.contains('='), "base64url without padding");
    let creq: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(&c.creq).unwrap()).unwrap();
    assert_eq!(creq["threeDSServerTransID"], id.to_string());
    assert_eq!(creq["acsTransID"], ACS_TRANS_ID);
    assert_eq!(creq["messageType"], "CReq");
    assert_eq!(creq["messageVersion"], "2.2.0");
    assert_eq!(creq["challengeWindowSize"], "05");
    // The record the caller stores survives serialization.
    let stored = serde_json::to_string(&c.pending).unwrap();
    assert!(!stored.contains(PAN_CHALLENGE));
    assert_eq!(
        serde_json::from_str::<paygate_three_ds::PendingAuthentication>(&stored).unwrap(),
        c.pending
    );
    assert!(!c.pending.is_finished());
}

#[tokio::test]
async fn u_n_and_r_are_failures_with_their_reason() {
    let ds = start().await;
    let server = ds.server();
    let cases = [
        (PAN_UNAVAILABLE, TransStatus::Unavailable, "11"),
        (PAN_NOT_AUTHENTICATED, TransStatus::NotAuthenticated, "01"),
        (PAN_REJECTED, TransStatus::Rejected, "02"),
        ("4000000000001034", TransStatus::Unavailable, "08"),
        (PAN_NO_ACS, TransStatus::Unavailable, "08"),
    ];
    for (pan, status, reason) in cases {
        let (start, _) = authenticate(&server, pan, ChallengeInd::NoPreference).await;
        let AuthenticationStart::Failed(o) = start.unwrap() else {
            panic!("{pan}: expected a failure");
        };
        assert_eq!(o.trans_status, status, "{pan}");
        assert_eq!(o.trans_status_reason.as_deref(), Some(reason), "{pan}");
        assert!(o.authorization_data().is_none(), "{pan}");
    }
}

#[tokio::test]
async fn a_ds_that_does_not_answer_or_cannot_be_reached_is_unavailable() {
    let ds = start().await;
    let (start, _) = authenticate(&ds.server(), PAN_SILENT, ChallengeInd::NoPreference).await;
    let AuthenticationStart::Unavailable(why) = start.unwrap() else {
        panic!("expected unavailable");
    };
    assert!(why.contains("did not answer"), "{why}");

    // Nothing listens on a port just released.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let server = server_at(&format!("http://{closed}"));
    let (start, _) = authenticate(&server, PAN_FRICTIONLESS, ChallengeInd::NoPreference).await;
    assert!(
        matches!(start, Ok(AuthenticationStart::Unavailable(_))),
        "{start:?}"
    );
    assert!(matches!(
        server.refresh_card_ranges().await,
        Err(Error::Transport(_))
    ));
}

#[tokio::test]
async fn an_erro_from_the_ds_is_a_failure_naming_its_code() {
    let ds = start().await;
    let (start, _) = authenticate(&ds.server(), PAN_ERRO, ChallengeInd::NoPreference).await;
    let Err(err @ Error::Erro(_)) = start else {
        panic!("expected an Erro, got {start:?}");
    };
    let Error::Erro(e) = &err else { unreachable!() };
    assert_eq!(e.error_code, "203");
    assert_eq!(e.error_component, "D");
    assert!(err.to_string().contains("203"), "{err}");
    assert!(err.to_string().contains("purchaseAmount"), "{err}");
}

#[tokio::test]
async fn an_ares_for_another_transaction_is_refused_with_301() {
    let ds = start().await;
    let (start, _) = authenticate(
        &ds.server(),
        PAN_OTHER_TRANSACTION,
        ChallengeInd::NoPreference,
    )
    .await;
    let Err(Error::InvalidMessage(e)) = start else {
        panic!("expected a refusal, got {start:?}");
    };
    assert_eq!(
        (e.code, e.field.as_str()),
        (ErrorCode::UnknownTransaction, "threeDSServerTransID")
    );
}

#[test]
fn bad_configuration_and_requests_name_the_field() {
    let mut r = requestor();
    r.mcc = "58".into();
    let err = ThreeDsServer::new("http://127.0.0.1:1", r, Default::default()).unwrap_err();
    assert_eq!(
        err,
        Error::InvalidRequest {
            field: "mcc",
            rule: "must be 4 digits"
        }
    );
    let err = ThreeDsServer::new("ftp://ds", requestor(), Default::default()).unwrap_err();
    assert!(matches!(
        err,
        Error::InvalidRequest {
            field: "ds_base_url",
            ..
        }
    ));
}

#[tokio::test]
async fn an_invalid_request_value_is_refused_before_anything_is_sent() {
    let ds = start().await;
    let server = ds.server();
    let pan = Pan::parse(PAN_FRICTIONLESS).unwrap();
    let expiry = Expiry::new(12, 2030).unwrap();
    let good_browser = browser();
    let mut bad_browser = browser();
    bad_browser.color_depth = 7;
    let good = AuthenticationRequest {
        three_ds_server_trans_id: Uuid::new_v4(),
        purpose: AuthenticationPurpose::Payment,
        pan: &pan,
        expiry: &expiry,
        amount_minor: 5_000,
        currency: Currency::parse("krw").unwrap(),
        challenge: ChallengeInd::NoPreference,
        window_size: ChallengeWindowSize::FullScreen,
        browser: &good_browser,
        notification_url: "http://127.0.0.1:8080/n",
        acquirer_merchant_id: "acct_1",
        merchant_name: "Seoul Coffee",
    };
    let cases = [
        (
            AuthenticationRequest {
                browser: &bad_browser,
                ..good.clone()
            },
            "browser.color_depth",
        ),
        (
            AuthenticationRequest {
                three_ds_server_trans_id: Uuid::now_v7(),
                ..good.clone()
            },
            "three_ds_server_trans_id",
        ),
        (
            AuthenticationRequest {
                amount_minor: 0,
                ..good.clone()
            },
            "amount_minor",
        ),
        (
            AuthenticationRequest {
                purpose: AuthenticationPurpose::AddCard,
                ..good.clone()
            },
            "amount_minor",
        ),
        (
            AuthenticationRequest {
                notification_url: "javascript:alert(1)",
                ..good.clone()
            },
            "notification_url",
        ),
        (
            AuthenticationRequest {
                merchant_name: "",
                ..good.clone()
            },
            "merchant_name",
        ),
    ];
    for (req, field) in cases {
        match server.authenticate(&req).await {
            Err(Error::InvalidRequest { field: f, .. }) => assert_eq!(f, field),
            other => panic!("{field}: {other:?}"),
        }
    }
    assert!(ds.seen.areqs.lock().unwrap().is_empty());
}

#[tokio::test]
async fn adding_a_card_is_a_non_payment_authentication_with_the_add_card_indicator() {
    let ds = start().await;
    let pan = Pan::parse(PAN_FRICTIONLESS).unwrap();
    let expiry = Expiry::new(12, 2030).unwrap();
    let browser = browser();
    let req = AuthenticationRequest {
        three_ds_server_trans_id: Uuid::new_v4(),
        purpose: AuthenticationPurpose::AddCard,
        pan: &pan,
        expiry: &expiry,
        amount_minor: 0,
        currency: Currency::parse("krw").unwrap(),
        challenge: ChallengeInd::NoPreference,
        window_size: ChallengeWindowSize::FullScreen,
        browser: &browser,
        notification_url: "http://127.0.0.1:8080/n",
        acquirer_merchant_id: "acct_1",
        merchant_name: "Seoul Coffee",
    };
    let start = ds.server().authenticate(&req).await.unwrap();
    assert!(matches!(start, AuthenticationStart::Frictionless(_)));
    let areq = ds.seen.areqs.lock().unwrap()[0].clone();
    assert_eq!(areq["messageCategory"], "02", "{areq}");
    assert_eq!(areq["threeDSRequestorAuthenticationInd"], "04", "{areq}");
    assert_eq!(areq["purchaseAmount"], "0", "{areq}");
    assert_eq!(areq["purchaseCurrency"], "410", "{areq}");
}
