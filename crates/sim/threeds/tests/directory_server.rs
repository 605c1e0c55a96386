//! The DS's messages through HTTP: PReq → PRes, AReq → ARes for every kind of test card, and
//! the Erro answers to AReqs that break the contract.

mod common;

use common::*;
use serde_json::{Value, json};

#[tokio::test]
async fn pres_lists_each_enrolled_card_as_a_range_with_the_issuer_requirement_flag() {
    let t = TestSim::start().await;
    let id = uuid::Uuid::new_v4().to_string();
    let pres = t
        .post_json(
            "/ds/preq",
            &json!({"messageType": "PReq", "messageVersion": "2.2.0",
                    "threeDSServerTransID": id, "threeDSServerRefNumber": "PAYGATE-3DS-01"}),
        )
        .await;
    assert_eq!(pres["messageType"], "PRes");
    assert_eq!(pres["threeDSServerTransID"], id.as_str());
    let ranges = pres["cardRangeData"].as_array().unwrap();
    let find = |pan: &str| {
        ranges
            .iter()
            .find(|r| r["startRange"] == pan)
            .unwrap_or_else(|| panic!("{pan} in PRes"))
            .clone()
    };
    for pan in [
        CHALLENGE_CARD,
        FRICTIONLESS_CARD,
        DECLINED_AFTER_AUTH_CARD,
        UNAVAILABLE_CARD,
    ] {
        let r = find(pan);
        assert_eq!(r["endRange"], pan);
        assert_eq!(r["acsInfoInd"], json!(["01", "80"]), "{pan}");
        assert_eq!(r["actionInd"], "A");
        assert_eq!(r["acsStartProtocolVersion"], "2.2.0");
    }
    assert_eq!(find(VISA_4242)["acsInfoInd"], json!(["01"]));
    assert!(ranges.iter().all(|r| r["startRange"] != NOT_ENROLLED_CARD));
}

#[tokio::test]
async fn a_frictionless_card_is_authenticated_with_a_cavv_that_verifies() {
    let t = TestSim::start().await;
    let (areq, ares) = t.authenticate(FRICTIONLESS_CARD, "01").await;
    assert_eq!(ares["messageType"], "ARes");
    assert_eq!(ares["transStatus"], "Y");
    assert_eq!(ares["eci"], "05");
    assert_eq!(ares["threeDSServerTransID"], areq["threeDSServerTransID"]);
    let ds = ares["dsTransID"].as_str().unwrap();
    assert_eq!(ds.len(), 36);
    let want = expected_cavv(FRICTIONLESS_CARD, "12000", "410", ds, "05");
    assert_eq!(ares["authenticationValue"], want.as_str());
    assert_eq!(want.len(), 28);
    assert!(ares.get("acsURL").is_none());
    let journal = t.journal();
    assert_eq!(journal.len(), 1);
    let e = &journal[0];
    assert_eq!(
        (e.flow.as_str(), e.trans_status.as_deref()),
        ("frictionless", Some("Y"))
    );
    assert_eq!(
        (e.last4.as_str(), e.amount, e.eci.as_deref()),
        ("3055", 12_000, Some("05"))
    );
}

#[tokio::test]
async fn each_card_gets_the_ares_of_the_contract_table() {
    let t = TestSim::start().await;
    let cases: [(&str, &str, &str, Option<&str>); 7] = [
        (CHALLENGE_CARD, "02", "C", None),
        (DECLINED_AFTER_AUTH_CARD, "01", "C", None),
        (UNAVAILABLE_CARD, "01", "U", Some("11")),
        (VISA_4242, "01", "Y", None),
        (VISA_4242, "03", "Y", None),
        (VISA_4242, "04", "C", None),
        (NOT_ENROLLED_CARD, "01", "U", Some("08")),
    ];
    for (pan, ind, status, reason) in cases {
        let (_, ares) = t.authenticate(pan, ind).await;
        assert_eq!(ares["transStatus"], status, "{pan} {ind}");
        assert_eq!(ares["transStatusReason"].as_str(), reason, "{pan} {ind}");
        if status == "C" {
            assert_eq!(ares["acsURL"], format!("{}/acs/challenge", t.base).as_str());
            assert_eq!(ares["authenticationType"], "01");
            assert!(ares.get("authenticationValue").is_none());
        }
    }
}

#[tokio::test]
async fn a_missing_areq_field_is_erro_201_naming_it() {
    let t = TestSim::start().await;
    let mut areq = t.areq(FRICTIONLESS_CARD, "01");
    let obj = areq.as_object_mut().unwrap();
    obj.remove("purchaseCurrency");
    obj.remove("notificationURL");
    let erro = t.post_json("/ds/areq", &areq).await;
    assert_eq!(erro["messageType"], "Erro");
    assert_eq!(erro["errorCode"], "201");
    assert_eq!(erro["errorComponent"], "D");
    assert_eq!(erro["errorMessageType"], "AReq");
    assert_eq!(erro["errorDetail"], "purchaseCurrency,notificationURL");
    assert_eq!(erro["threeDSServerTransID"], areq["threeDSServerTransID"]);
}

#[tokio::test]
async fn a_malformed_areq_field_is_erro_203_naming_it() {
    let t = TestSim::start().await;
    let cases: [(&str, Value); 6] = [
        ("acctNumber", json!("4000000000003221")),
        ("purchaseAmount", json!("12.00")),
        ("purchaseAmount", json!(12000)),
        ("purchaseDate", json!("20261340041500")),
        ("threeDSServerURL", json!("not a url")),
        ("threeDSRequestorChallengeInd", json!("09")),
    ];
    for (field, value) in cases {
        let mut areq = t.areq(FRICTIONLESS_CARD, "01");
        areq[field] = value;
        let erro = t.post_json("/ds/areq", &areq).await;
        assert_eq!(erro["messageType"], "Erro", "{field}");
        assert_eq!(erro["errorCode"], "203", "{field}");
        assert_eq!(erro["errorDetail"], field);
    }
}

#[tokio::test]
async fn unreadable_messages_and_other_versions_are_erro_101_and_102() {
    let t = TestSim::start().await;
    let erro = t.post_raw("/ds/areq", "{not json").await;
    assert_eq!(
        (erro["messageType"].as_str(), erro["errorCode"].as_str()),
        (Some("Erro"), Some("101"))
    );
    let erro = t.post_raw("/ds/areq", "[1,2]").await;
    assert_eq!(erro["errorCode"], "101");
    let mut areq = t.areq(FRICTIONLESS_CARD, "01");
    areq["messageType"] = json!("PReq");
    let erro = t.post_json("/ds/areq", &areq).await;
    assert_eq!(
        (erro["errorCode"].as_str(), erro["errorDetail"].as_str()),
        (Some("101"), Some("messageType"))
    );
    areq["messageType"] = json!("AReq");
    areq["messageVersion"] = json!("2.1.0");
    let erro = t.post_json("/ds/areq", &areq).await;
    assert_eq!(
        (erro["errorCode"].as_str(), erro["errorDetail"].as_str()),
        (Some("102"), Some("messageVersion"))
    );
    let erro = t
        .post_json(
            "/ds/preq",
            &json!({"messageType": "PReq", "messageVersion": "2.2.0"}),
        )
        .await;
    assert_eq!(erro["errorCode"], "201");
    assert_eq!(
        erro["errorDetail"],
        "threeDSServerTransID,threeDSServerRefNumber"
    );
}
