//! The end of a challenge: the RReq (accepted once, answered RRes; refused with Erro otherwise)
//! and the CRes the browser brings back.

use super::authenticate;
use super::fake_ds::*;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use paygate_three_ds::{
    AuthenticationStart, Challenge, ChallengeInd, Error, PendingAuthentication, RreqResult,
    ThreeDsServer, TransStatus,
};
use serde_json::{Value, json};
use uuid::Uuid;

async fn challenge() -> (ThreeDsServer, Challenge, Uuid) {
    let ds = start().await;
    let server = ds.server();
    let (start, id) = authenticate(&server, PAN_CHALLENGE, ChallengeInd::Mandated).await;
    let AuthenticationStart::Challenge(c) = start.unwrap() else {
        panic!("expected a challenge");
    };
    (server, *c, id)
}

fn rreq(id: Uuid, status: &str) -> Value {
    let mut v = json!({
        "messageType": "RReq", "messageVersion": "2.2.0",
        "threeDSServerTransID": id.to_string(), "dsTransID": DS_TRANS_ID,
        "acsTransID": ACS_TRANS_ID, "messageCategory": "01", "transStatus": status,
        "authenticationType": "01", "interactionCounter": "01"
    });
    if status == "Y" {
        v["eci"] = json!("05");
        v["authenticationValue"] = json!(CAVV);
    } else {
        v["transStatusReason"] = json!("01");
    }
    v
}

fn body(v: &Value) -> Vec<u8> {
    serde_json::to_vec(v).unwrap()
}

fn reply(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap()
}

/// Answers `rreq` against `pending` as the gateway would (lookup by id).
fn answer(
    server: &ThreeDsServer,
    rreq: &Value,
    pending: &PendingAuthentication,
) -> (Value, RreqResult) {
    let handled = server.handle_rreq(&body(rreq), |id| {
        (id == pending.three_ds_server_trans_id).then(|| pending.clone())
    });
    (reply(&handled.reply), handled.result)
}

#[tokio::test]
async fn an_rreq_is_accepted_once_answered_rres_and_repeats_change_nothing() {
    let (server, c, id) = challenge().await;
    let (rres, result) = answer(&server, &rreq(id, "Y"), &c.pending);
    assert_eq!(rres["messageType"], "RRes");
    assert_eq!(rres["messageVersion"], "2.2.0");
    assert_eq!(rres["resultsStatus"], "01");
    assert_eq!(rres["threeDSServerTransID"], id.to_string());
    assert_eq!(rres["dsTransID"], DS_TRANS_ID);
    assert_eq!(rres["acsTransID"], ACS_TRANS_ID);
    let RreqResult::Accepted { pending, outcome } = result else {
        panic!("expected the RReq accepted");
    };
    assert_eq!(outcome.trans_status, TransStatus::Authenticated);
    assert_eq!(
        outcome.authorization_data().unwrap().cavv.as_deref(),
        Some(CAVV)
    );
    assert!(pending.is_finished());

    // The same RReq again (its RRes was lost): RRes again, nothing new.
    let (rres, result) = answer(&server, &rreq(id, "Y"), &pending);
    assert_eq!(rres["messageType"], "RRes");
    assert!(matches!(result, RreqResult::Repeated(r) if r == id));

    // Another result for the finished transaction: refused.
    let (erro, result) = answer(&server, &rreq(id, "N"), &pending);
    assert_eq!(
        (erro["messageType"].as_str(), erro["errorCode"].as_str()),
        (Some("Erro"), Some("301"))
    );
    assert!(matches!(result, RreqResult::Refused(_)));
}

#[tokio::test]
async fn an_rreq_with_ids_that_do_not_match_gets_erro_301_naming_the_id() {
    let (server, c, id) = challenge().await;
    let cases = [
        ("threeDSServerTransID", json!(Uuid::new_v4().to_string())),
        ("dsTransID", json!("00000000-0000-4000-8000-000000000001")),
        ("acsTransID", json!("00000000-0000-4000-8000-000000000002")),
    ];
    for (field, value) in cases {
        let mut r = rreq(id, "Y");
        r[field] = value;
        let (erro, result) = answer(&server, &r, &c.pending);
        assert_eq!(erro["messageType"], "Erro", "{field}");
        assert_eq!(erro["errorCode"], "301", "{field}");
        assert_eq!(erro["errorComponent"], "S", "{field}");
        assert_eq!(erro["errorDetail"], field, "{field}");
        assert_eq!(erro["errorMessageType"], "RReq", "{field}");
        assert!(matches!(result, RreqResult::Refused(_)), "{field}");
    }
}

#[tokio::test]
async fn an_invalid_rreq_gets_an_erro_naming_the_field() {
    let (server, c, id) = challenge().await;
    let mut missing = rreq(id, "Y");
    missing
        .as_object_mut()
        .unwrap()
        .remove("authenticationValue");
    let (erro, _) = answer(&server, &missing, &c.pending);
    assert_eq!(
        (erro["errorCode"].as_str(), erro["errorDetail"].as_str()),
        (Some("201"), Some("authenticationValue"))
    );
    let mut wrong_eci = rreq(id, "Y");
    wrong_eci["eci"] = json!("02");
    let (erro, _) = answer(&server, &wrong_eci, &c.pending);
    assert_eq!(
        (erro["errorCode"].as_str(), erro["errorDetail"].as_str()),
        (Some("203"), Some("eci"))
    );
    let handled = server.handle_rreq(b"{not json", |_| None);
    assert_eq!(reply(&handled.reply)["errorCode"], "101");
}

fn cres(id: Uuid, status: &str) -> String {
    let v = json!({
        "threeDSServerTransID": id.to_string(), "acsTransID": ACS_TRANS_ID,
        "messageType": "CRes", "messageVersion": "2.2.0",
        "transStatus": status, "challengeCompletionInd": "Y"
    });
    URL_SAFE_NO_PAD.encode(body(&v))
}

#[tokio::test]
async fn a_cres_is_decoded_and_checked_against_the_rreqs_result() {
    let (server, c, id) = challenge().await;
    let read = server.read_cres(&cres(id, "Y")).unwrap();
    assert_eq!(read.three_ds_server_trans_id, id);
    assert_eq!(read.trans_status, TransStatus::Authenticated);
    // Before the RReq there is no trusted result yet.
    assert_eq!(read.accept(&c.pending).unwrap_err(), Error::ResultsPending);
    let (_, result) = answer(&server, &rreq(id, "Y"), &c.pending);
    let RreqResult::Accepted { pending, .. } = result else {
        panic!("expected the RReq accepted");
    };
    // A CRes that claims another result than the RReq's is refused.
    let forged = server.read_cres(&cres(id, "N")).unwrap();
    assert!(
        matches!(forged.accept(&pending), Err(Error::InvalidMessage(e)) if e.field == "transStatus")
    );
    let accepted = read.accept(&pending).unwrap();
    assert_eq!(accepted.outcome.trans_status, TransStatus::Authenticated);
    assert!(accepted.pending.cres_received);
    // The same cres again (a replayed form post) is refused.
    assert_eq!(
        read.accept(&accepted.pending).unwrap_err(),
        Error::CresReplayed
    );
}

#[tokio::test]
async fn a_tampered_or_erro_cres_is_an_error() {
    let (server, _c, id) = challenge().await;
    let good = cres(id, "Y");
    let mut tampered = good.clone().into_bytes();
    tampered[10] = b'!';
    let err = server
        .read_cres(std::str::from_utf8(&tampered).unwrap())
        .unwrap_err();
    assert!(
        matches!(err, Error::InvalidMessage(ref e) if e.field == "cres"),
        "{err:?}"
    );
    // Valid base64url, but one character changed inside the JSON.
    let mut json = URL_SAFE_NO_PAD.decode(&good).unwrap();
    let at = json.iter().position(|&b| b == b'{').unwrap();
    json[at] = b'[';
    assert!(matches!(
        server.read_cres(&URL_SAFE_NO_PAD.encode(&json)),
        Err(Error::InvalidMessage(_))
    ));
    // Padding is not base64url-without-padding.
    assert!(server.read_cres(&format!("{good}==")).is_err());
    let erro = json!({
        "messageType": "Erro", "messageVersion": "2.2.0",
        "threeDSServerTransID": id.to_string(), "acsTransID": ACS_TRANS_ID,
        "errorCode": "203", "errorComponent": "A", "errorDescription": "bad CReq",
        "errorDetail": "challengeWindowSize", "errorMessageType": "CReq"
    });
    let err = server
        .read_cres(&URL_SAFE_NO_PAD.encode(body(&erro)))
        .unwrap_err();
    let Error::Erro(e) = err else {
        panic!("expected an Erro")
    };
    assert_eq!(e.error_code, "203");
    assert_eq!(e.ids.three_ds_server_trans_id, Some(id.to_string()));
}
