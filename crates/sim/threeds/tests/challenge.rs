//! The ACS's password challenge through a browser made of reqwest: the CReq page, wrong and
//! right passwords, the RReq the 3DS Server receives, the CRes auto-post page, the lockout,
//! refused CReqs, cancellation and timeouts.

mod common;

use std::time::Duration;

use common::*;
use serde_json::json;

#[tokio::test]
async fn a_challenge_asks_for_the_password_counts_wrong_ones_and_succeeds_with_the_right_one() {
    let mut t = TestSim::start().await;
    let (_, ares) = t.authenticate(CHALLENGE_CARD, "01").await;
    assert_eq!(ares["transStatus"], "C");
    let (status, page) = t
        .creq(&ares, Some("c2Vzc2lvbi0x"), "ko-KR,ko;q=0.9,en;q=0.5")
        .await;
    assert_eq!(status, 200);
    assert!(page.contains(r#"<html lang="ko">"#));
    assert!(page.contains(r#"name="password""#) && page.contains(r#"type="password""#));
    assert!(page.contains(r#"<label for="password">안심클릭 비밀번호</label>"#));
    assert!(
        page.contains("Coffee &amp; &lt;Cake&gt;"),
        "merchant name escaped"
    );
    assert!(page.contains("12,000원"));
    assert!(page.contains("•••• 3220"));
    assert!(!page.contains(CHALLENGE_CARD));

    // The page keeps its language through the form (the browser now prefers English).
    let (_, page) = t.password(&page, "9999").await;
    assert!(page.contains(r#"<html lang="ko">"#));
    assert!(page.contains("남은 입력 횟수: 4회"), "{page}");
    assert!(!page.contains("9999"), "the password is never echoed");
    assert!(
        t.server.try_rreq().is_none(),
        "no RReq while the challenge runs"
    );

    let (status, page) = t.password(&page, "1234").await;
    assert_eq!(status, 200);
    let rreq = t
        .server
        .try_rreq()
        .expect("the RReq arrived before the CRes page");
    assert_eq!(rreq["messageType"], "RReq");
    assert_eq!(rreq["transStatus"], "Y");
    assert_eq!(rreq["eci"], "05");
    assert_eq!(rreq["interactionCounter"], "02");
    assert_eq!(rreq["acsTransID"], ares["acsTransID"]);
    assert_eq!(rreq["dsTransID"], ares["dsTransID"]);
    let ds = ares["dsTransID"].as_str().unwrap();
    let want = expected_cavv(CHALLENGE_CARD, "12000", "410", ds, "05");
    assert_eq!(rreq["authenticationValue"], want.as_str());

    let form = Form::read(&page);
    assert_eq!(form.action, "https://shop.example/3ds/notify?x=1&y=2");
    assert_eq!(form.field("threeDSSessionData"), Some("c2Vzc2lvbi0x"));
    let cres = form.cres();
    assert_eq!(cres["messageType"], "CRes");
    assert_eq!(cres["transStatus"], "Y");
    assert_eq!(cres["challengeCompletionInd"], "Y");
    assert_eq!(cres["acsTransID"], ares["acsTransID"]);
    assert!(page.contains("<noscript><button type=\"submit\">"));
    let entry = &t.journal()[0];
    assert_eq!(
        (entry.flow.as_str(), entry.trans_status.as_deref()),
        ("challenge", Some("Y"))
    );
    assert_eq!(
        (entry.interactions, entry.rreq_delivery.as_deref()),
        (2, Some("rres"))
    );
}

#[tokio::test]
async fn the_challenge_page_has_a_strict_csp_and_no_script() {
    let t = TestSim::start().await;
    let (_, ares) = t.authenticate(VISA_4242, "04").await;
    let creq = creq_b64(
        &json!({"threeDSServerTransID": ares["threeDSServerTransID"],
        "acsTransID": ares["acsTransID"], "messageType": "CReq", "messageVersion": "2.2.0",
        "challengeWindowSize": "02"}),
    );
    let resp = t
        .http
        .post(ares["acsURL"].as_str().unwrap())
        .form(&[("creq", creq.as_str())])
        .send()
        .await
        .unwrap();
    let csp = resp.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.starts_with("default-src 'none'; style-src 'nonce-"),
        "{csp}"
    );
    assert!(
        csp.contains(&format!("form-action {} https://shop.example", t.base)),
        "{csp}"
    );
    let page = resp.text().await.unwrap();
    assert!(!page.contains("<script"));
    assert!(page.contains(":focus-visible"));
}

#[tokio::test]
async fn five_wrong_passwords_lock_the_card_and_its_next_payment_fails_without_asking() {
    let mut t = TestSim::start().await;
    let (_, ares) = t.authenticate(CHALLENGE_CARD, "01").await;
    let (_, mut page) = t.creq(&ares, None, "en").await;
    for left in (1..=4).rev() {
        page = t.password(&page, "0000").await.1;
        assert!(page.contains(&format!("Attempts left: {left}")), "{page}");
    }
    let (_, page) = t.password(&page, "0000").await;
    let rreq = t
        .server
        .try_rreq()
        .expect("RReq after the fifth wrong password");
    assert_eq!(rreq["transStatus"], "N");
    assert_eq!(rreq["interactionCounter"], "05");
    assert!(rreq.get("authenticationValue").is_none());
    assert_eq!(Form::read(&page).cres()["transStatus"], "N");
    assert!(page.contains("locked"));

    let (_, ares) = t.authenticate(CHALLENGE_CARD, "01").await;
    assert_eq!(ares["transStatus"], "N", "a locked card fails at once");
    assert!(
        ares.get("acsURL").is_none(),
        "no page asks for the password"
    );
    let (_, other) = t.authenticate(DECLINED_AFTER_AUTH_CARD, "01").await;
    assert_eq!(other["transStatus"], "C", "other cards are not locked");
}

#[tokio::test]
async fn a_tampered_creq_posts_an_erro_and_an_unattributable_one_gets_a_400_page() {
    let mut t = TestSim::start().await;
    let (_, ares) = t.authenticate(CHALLENGE_CARD, "01").await;
    let acs_url = ares["acsURL"].as_str().unwrap().to_owned();
    let tampered = creq_b64(
        &json!({"threeDSServerTransID": uuid::Uuid::new_v4().to_string(),
        "acsTransID": ares["acsTransID"], "messageType": "CReq", "messageVersion": "2.2.0",
        "challengeWindowSize": "05"}),
    );
    let (status, page) = t.post_form(&acs_url, &[("creq", &tampered)], "en").await;
    assert_eq!(status, 200);
    let erro = Form::read(&page).cres();
    assert_eq!(erro["messageType"], "Erro");
    assert_eq!(erro["errorCode"], "301");
    assert_eq!(erro["errorComponent"], "A");
    assert_eq!(erro["errorDetail"], "threeDSServerTransID");
    assert_eq!(erro["errorMessageType"], "CReq");
    assert!(t.server.try_rreq().is_none());

    let (status, page) = t
        .post_form(&acs_url, &[("creq", "%%%not-base64")], "ko")
        .await;
    assert_eq!(status, 400);
    assert!(page.contains(r#"lang="ko""#));
    let unknown = creq_b64(
        &json!({"threeDSServerTransID": ares["threeDSServerTransID"],
        "acsTransID": uuid::Uuid::new_v4().to_string(), "messageType": "CReq",
        "messageVersion": "2.2.0", "challengeWindowSize": "05"}),
    );
    assert_eq!(
        t.post_form(&acs_url, &[("creq", &unknown)], "en").await.0,
        400
    );
    assert_eq!(t.post_form(&acs_url, &[], "en").await.0, 400);
    let submit = format!("{}/acs/challenge/submit", t.base);
    let id = uuid::Uuid::new_v4().to_string();
    let fields = [("acsTransID", id.as_str()), ("password", "1234")];
    assert_eq!(t.post_form(&submit, &fields, "en").await.0, 400);
}

#[tokio::test]
async fn the_payer_can_cancel_the_challenge() {
    let mut t = TestSim::start().await;
    let (_, ares) = t.authenticate(CHALLENGE_CARD, "01").await;
    let (_, page) = t.creq(&ares, None, "en").await;
    let form = Form::read(&page);
    let mut fields = form.hidden.clone();
    fields.push(("action".into(), "cancel".into()));
    let refs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let (_, page) = t.post_form(&form.action, &refs, "en").await;
    let rreq = t.server.try_rreq().expect("RReq on cancel");
    assert_eq!(
        (
            rreq["transStatus"].as_str(),
            rreq["challengeCancel"].as_str()
        ),
        (Some("N"), Some("01"))
    );
    assert_eq!(Form::read(&page).cres()["transStatus"], "N");
}

#[tokio::test]
async fn a_challenge_without_its_creq_in_time_ends_with_challenge_cancel_05() {
    let mut t = TestSim::with_timeouts(Duration::from_secs(1), Duration::from_secs(600)).await;
    let (_, ares) = t.authenticate(CHALLENGE_CARD, "01").await;
    let rreq = t.server.next_rreq().await;
    assert_eq!(rreq["acsTransID"], ares["acsTransID"]);
    assert_eq!(
        (
            rreq["transStatus"].as_str(),
            rreq["challengeCancel"].as_str()
        ),
        (Some("N"), Some("05"))
    );
    assert_eq!(rreq["interactionCounter"], "00");
    // The late CReq is answered with an Erro 402 in `cres`, and no second RReq.
    let (_, page) = t.creq(&ares, None, "en").await;
    assert_eq!(Form::read(&page).cres()["errorCode"], "402");
    assert!(t.server.try_rreq().is_none());
}

#[tokio::test]
async fn a_challenge_not_finished_in_time_ends_with_challenge_cancel_04() {
    let mut t = TestSim::with_timeouts(Duration::from_secs(30), Duration::from_secs(1)).await;
    let (_, ares) = t.authenticate(CHALLENGE_CARD, "01").await;
    let (_, page) = t.creq(&ares, None, "en").await;
    let rreq = t.server.next_rreq().await;
    assert_eq!(
        (
            rreq["transStatus"].as_str(),
            rreq["challengeCancel"].as_str()
        ),
        (Some("N"), Some("04"))
    );
    // The password after the end gets the final CRes, not a second chance.
    let (_, page) = t.password(&page, "1234").await;
    assert_eq!(Form::read(&page).cres()["transStatus"], "N");
    assert!(t.server.try_rreq().is_none());
}

#[tokio::test]
async fn the_journal_never_holds_the_pan() {
    let t = TestSim::start().await;
    t.authenticate(FRICTIONLESS_CARD, "01").await;
    let (_, ares) = t.authenticate(CHALLENGE_CARD, "01").await;
    let (_, page) = t.creq(&ares, None, "en").await;
    t.password(&page, "1234").await;
    let text = serde_json::to_string(&t.journal()).unwrap();
    assert!(text.contains("3055") && text.contains("3220"));
    assert!(!text.contains(FRICTIONLESS_CARD) && !text.contains(CHALLENGE_CARD));
    let db = std::fs::read(t.dir.path().join(paygate_sim_threeds::JOURNAL_FILE)).unwrap();
    let db = String::from_utf8_lossy(&db);
    assert!(!db.contains(CHALLENGE_CARD) && !db.contains(FRICTIONLESS_CARD));
}
