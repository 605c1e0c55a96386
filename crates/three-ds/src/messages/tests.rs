//! Validation of received messages: each missing or malformed field is named with its code.

use super::*;
use serde_json::{Value, json};

const CAVV: &str = "kJMZRiDunhPsBwAU0hu9rrx0eWN6";

fn ares_y() -> Value {
    json!({
        "messageType": "ARes", "messageVersion": "2.2.0",
        "threeDSServerTransID": "8a880dc0-d2d2-4067-bcb1-b08d1690b26e",
        "dsTransID": "9b880dc0-d2d2-4067-bcb1-b08d1690b26e",
        "acsTransID": "ab880dc0-d2d2-4067-bcb1-b08d1690b26e",
        "acsReferenceNumber": "ACS-REF-1", "acsOperatorID": "ACS-OP-1",
        "dsReferenceNumber": "DS-REF-1",
        "transStatus": "Y", "eci": "05", "authenticationValue": CAVV
    })
}

fn ares_c() -> Value {
    let mut v = ares_y();
    let o = v.as_object_mut().unwrap();
    o.remove("eci");
    o.remove("authenticationValue");
    o.insert("transStatus".into(), json!("C"));
    o.insert(
        "acsURL".into(),
        json!("http://127.0.0.1:7400/acs/challenge"),
    );
    o.insert("acsChallengeMandated".into(), json!("N"));
    o.insert("authenticationType".into(), json!("01"));
    v
}

fn rreq_y() -> Value {
    json!({
        "messageType": "RReq", "messageVersion": "2.2.0",
        "threeDSServerTransID": "8a880dc0-d2d2-4067-bcb1-b08d1690b26e",
        "dsTransID": "9b880dc0-d2d2-4067-bcb1-b08d1690b26e",
        "acsTransID": "ab880dc0-d2d2-4067-bcb1-b08d1690b26e",
        "messageCategory": "01", "transStatus": "Y", "eci": "05",
        "authenticationValue": CAVV, "authenticationType": "01", "interactionCounter": "01"
    })
}

/// `base` with `field` set to `value` (`None` removes it).
fn with(base: &Value, field: &str, value: Option<Value>) -> Vec<u8> {
    let mut v = base.clone();
    let o = v.as_object_mut().unwrap();
    match value {
        Some(x) => o.insert(field.to_owned(), x),
        None => o.remove(field),
    };
    serde_json::to_vec(&v).unwrap()
}

fn refusal<T: std::fmt::Debug>(r: Result<T, ValidationError>) -> (ErrorCode, String) {
    let e = r.unwrap_err();
    (e.code, e.field)
}

#[test]
fn a_valid_frictionless_ares_is_read_with_its_cavv() {
    let Answer::Response(a) = read_ares(&serde_json::to_vec(&ares_y()).unwrap()).unwrap() else {
        panic!("expected an ARes");
    };
    assert_eq!(a.trans_status, TransStatus::Authenticated);
    assert_eq!(a.eci.as_deref(), Some("05"));
    assert_eq!(a.authentication_value.unwrap().expose(), CAVV);
}

#[test]
fn each_missing_required_ares_field_is_named_with_201() {
    let y = ares_y();
    let c = ares_c();
    let mut n = ares_y();
    n["transStatus"] = json!("N");
    n.as_object_mut().unwrap().remove("authenticationValue");
    let cases = [
        (&y, "threeDSServerTransID"),
        (&y, "dsTransID"),
        (&y, "acsTransID"),
        (&y, "acsReferenceNumber"),
        (&y, "dsReferenceNumber"),
        (&y, "transStatus"),
        (&y, "eci"),
        (&y, "authenticationValue"),
        (&y, "messageVersion"),
        (&c, "acsURL"),
        (&c, "acsChallengeMandated"),
        (&c, "authenticationType"),
        (&n, "transStatusReason"),
    ];
    for (base, field) in cases {
        assert_eq!(
            refusal(read_ares(&with(base, field, None))),
            (ErrorCode::RequiredMissing, field.to_owned()),
            "{field}"
        );
    }
}

#[test]
fn each_malformed_ares_field_is_named_with_203() {
    let y = ares_y();
    let cases = [
        ("dsTransID", json!("not-a-uuid")),
        ("acsTransID", json!("ab880dc0d2d24067bcb1b08d1690b26e")),
        ("transStatus", json!("D")),
        ("eci", json!("5")),
        ("eci", json!(5)),
        ("authenticationValue", json!(&CAVV[1..])),
        ("authenticationValue", json!("!!!!!!!!!!!!!!!!!!!!!!!!!!!!")),
        ("acsReferenceNumber", json!("")),
    ];
    for (field, value) in cases {
        assert_eq!(
            refusal(read_ares(&with(&y, field, Some(value.clone())))),
            (ErrorCode::InvalidFormat, field.to_owned()),
            "{field} = {value}"
        );
    }
    let c = ares_c();
    assert_eq!(
        refusal(read_ares(&with(
            &c,
            "acsURL",
            Some(json!("javascript:alert(1)"))
        ))),
        (ErrorCode::InvalidFormat, "acsURL".to_owned())
    );
    // A CAVV on a result that carries none.
    assert_eq!(
        refusal(read_ares(&with(
            &c,
            "authenticationValue",
            Some(json!(CAVV))
        ))),
        (ErrorCode::InvalidFormat, "authenticationValue".to_owned())
    );
}

#[test]
fn wrong_type_version_or_body_map_to_101_and_102() {
    let y = ares_y();
    assert_eq!(
        refusal(read_ares(&with(&y, "messageType", Some(json!("PRes"))))),
        (ErrorCode::MessageInvalid, "messageType".to_owned())
    );
    assert_eq!(
        refusal(read_ares(&with(&y, "messageVersion", Some(json!("2.1.0"))))),
        (ErrorCode::VersionNotSupported, "messageVersion".to_owned())
    );
    for body in [&b"not json"[..], b"[1,2]", b"\"ARes\""] {
        assert_eq!(
            refusal(read_ares(body)),
            (ErrorCode::MessageInvalid, "message".to_owned())
        );
    }
}

#[test]
fn an_erro_from_the_ds_is_read_as_such() {
    let body = json!({
        "messageType": "Erro", "messageVersion": "2.2.0",
        "threeDSServerTransID": "8a880dc0-d2d2-4067-bcb1-b08d1690b26e",
        "errorCode": "203", "errorComponent": "D",
        "errorDescription": "Format of one or more elements is invalid",
        "errorDetail": "purchaseAmount", "errorMessageType": "AReq"
    });
    let Answer::Erro(e) = read_ares(&serde_json::to_vec(&body).unwrap()).unwrap() else {
        panic!("expected an Erro");
    };
    assert_eq!(e.error_code, "203");
    assert_eq!(e.error_detail.as_deref(), Some("purchaseAmount"));
    // An RReq endpoint never accepts an Erro in place of the RReq.
    assert_eq!(
        refusal(read_rreq(&serde_json::to_vec(&body).unwrap())),
        (ErrorCode::MessageInvalid, "messageType".to_owned())
    );
}

#[test]
fn rreq_fields_are_checked_per_transstatus() {
    let y = rreq_y();
    assert!(read_rreq(&serde_json::to_vec(&y).unwrap()).is_ok());
    let mut n = rreq_y();
    n["transStatus"] = json!("N");
    n["challengeCancel"] = json!("04");
    let o = n.as_object_mut().unwrap();
    o.remove("eci");
    o.remove("authenticationValue");
    let read = read_rreq(&serde_json::to_vec(&n).unwrap()).unwrap();
    assert_eq!(read.challenge_cancel, Some(ChallengeCancel::TimedOut));
    let cases = [
        (&y, "interactionCounter", None, ErrorCode::RequiredMissing),
        (&y, "messageCategory", None, ErrorCode::RequiredMissing),
        (&y, "authenticationValue", None, ErrorCode::RequiredMissing),
        (
            &y,
            "transStatus",
            Some(json!("C")),
            ErrorCode::InvalidFormat,
        ),
        (
            &y,
            "messageCategory",
            Some(json!("03")),
            ErrorCode::InvalidFormat,
        ),
        (
            &n,
            "challengeCancel",
            Some(json!("09")),
            ErrorCode::InvalidFormat,
        ),
        (
            &y,
            "threeDSServerTransID",
            Some(json!("x")),
            ErrorCode::InvalidFormat,
        ),
    ];
    for (base, field, value, code) in cases {
        assert_eq!(
            refusal(read_rreq(&with(base, field, value))),
            (code, field.to_owned()),
            "{field}"
        );
    }
}

#[test]
fn a_cres_must_be_final_and_complete() {
    let cres = json!({
        "threeDSServerTransID": "8a880dc0-d2d2-4067-bcb1-b08d1690b26e",
        "acsTransID": "ab880dc0-d2d2-4067-bcb1-b08d1690b26e",
        "messageType": "CRes", "messageVersion": "2.2.0",
        "transStatus": "Y", "challengeCompletionInd": "Y"
    });
    assert!(matches!(
        read_cres_json(&serde_json::to_vec(&cres).unwrap()),
        Ok(Answer::Response(_))
    ));
    assert_eq!(
        refusal(read_cres_json(&with(
            &cres,
            "challengeCompletionInd",
            Some(json!("N"))
        ))),
        (
            ErrorCode::InvalidFormat,
            "challengeCompletionInd".to_owned()
        )
    );
    assert_eq!(
        refusal(read_cres_json(&with(&cres, "acsTransID", None))),
        (ErrorCode::RequiredMissing, "acsTransID".to_owned())
    );
}

#[test]
fn a_refusal_becomes_an_erro_naming_the_field() {
    let e = read_ares(&with(&ares_y(), "eci", None)).unwrap_err();
    let erro = serde_json::to_value(e.to_erro()).unwrap();
    assert_eq!(erro["messageType"], "Erro");
    assert_eq!(erro["errorCode"], "201");
    assert_eq!(erro["errorComponent"], "S");
    assert_eq!(erro["errorDetail"], "eci");
    assert_eq!(erro["errorMessageType"], "ARes");
    assert_eq!(
        erro["threeDSServerTransID"],
        "8a880dc0-d2d2-4067-bcb1-b08d1690b26e"
    );
}

#[test]
fn debug_output_hides_the_cavv_and_the_pan() {
    let Answer::Response(a) = read_ares(&serde_json::to_vec(&ares_y()).unwrap()).unwrap() else {
        panic!("expected an ARes");
    };
    let shown = format!("{a:?}");
    assert!(!shown.contains(CAVV), "{shown}");
    let acct = AcctNumber("4000000000003220".into());
    assert_eq!(format!("{acct:?}"), "400000…3220");
}
