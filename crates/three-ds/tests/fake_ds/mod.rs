//! A small fake Directory Server for the tests: axum on port 0, answering PReq and AReq with
//! contract-shaped JSON written here (not produced by the crate under test), chosen by PAN.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::routing::post;
use paygate_three_ds::{BrowserInfo, Requestor, ThreeDsServer, Timeouts};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

/// A CAVV as the contract's ACS makes it: 20 bytes, standard base64 with padding.
pub const CAVV: &str = "q83vASNFZ4mrze8BI0VniavN7wE=";
pub const DS_TRANS_ID: &str = "9b880dc0-d2d2-4067-bcb1-b08d1690b26e";
pub const ACS_TRANS_ID: &str = "ab880dc0-d2d2-4067-bcb1-b08d1690b26e";

/// Frictionless Y (Visa, ECI 05).
pub const PAN_FRICTIONLESS: &str = "4000000000003055";
/// Challenge.
pub const PAN_CHALLENGE: &str = "4000000000003220";
/// U, reason 11 (ACS unavailable).
pub const PAN_UNAVAILABLE: &str = "4000000000003097";
/// N, reason 01.
pub const PAN_NOT_AUTHENTICATED: &str = "4000000000001018";
/// R, reason 02.
pub const PAN_REJECTED: &str = "4000000000001026";
/// Mastercard frictionless Y, ECI 02.
pub const PAN_MASTERCARD: &str = "5555555555554444";
/// Mastercard Y with Visa's ECI 05: wrong for the brand.
pub const PAN_WRONG_ECI: &str = "5105105105105100";
/// Answered with an Erro 203 naming purchaseAmount.
pub const PAN_ERRO: &str = "4111111111111111";
/// Never answered.
pub const PAN_SILENT: &str = "4012888888881881";
/// U "08" from the DS alone, without the ACS's ids.
pub const PAN_NO_ACS: &str = "4000000000001042";
/// Answered for another threeDSServerTransID.
pub const PAN_OTHER_TRANSACTION: &str = "4000056655665556";

#[derive(Clone, Default)]
pub struct Seen {
    pub areqs: Arc<Mutex<Vec<Value>>>,
}

pub struct FakeDs {
    pub addr: SocketAddr,
    pub seen: Seen,
}

pub async fn start() -> FakeDs {
    let seen = Seen::default();
    let app = Router::new()
        .route("/ds/preq", post(preq))
        .route("/ds/areq", post(areq))
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    FakeDs { addr, seen }
}

impl FakeDs {
    pub fn server(&self) -> ThreeDsServer {
        server_at(&format!("http://{}", self.addr))
    }
}

pub fn server_at(base: &str) -> ThreeDsServer {
    let timeouts = Timeouts {
        connect_ms: 1_000,
        total_ms: 1_500,
    };
    ThreeDsServer::new(base, requestor(), timeouts).unwrap()
}

pub fn requestor() -> Requestor {
    Requestor {
        requestor_id: "PAYGATE-REQ-1".into(),
        requestor_name: "paygate".into(),
        requestor_url: "https://paygate.example".into(),
        server_ref_number: "PAYGATE-3DSS-1".into(),
        server_url: "http://127.0.0.1:8080/v1/3ds/rreq".into(),
        acquirer_bin: "412345".into(),
        merchant_country_numeric: 410,
        mcc: "5814".into(),
        notification_base_url: "http://127.0.0.1:8080/v1/3ds/notify".into(),
    }
}

pub fn browser() -> BrowserInfo {
    BrowserInfo {
        accept_header: "text/html".into(),
        user_agent: "Mozilla/5.0 (test)".into(),
        language: "ko-KR".into(),
        java_enabled: false,
        javascript_enabled: true,
        color_depth: 24,
        screen_height: 1080,
        screen_width: 1920,
        tz_offset_minutes: -540,
        ip: Some("203.0.113.7".parse().unwrap()),
    }
}

async fn preq(body: Bytes) -> String {
    let req: Value = serde_json::from_slice(&body).unwrap();
    let range = |pan: &str, info: Value| {
        json!({"startRange": pan, "endRange": pan, "actionInd": "A",
               "acsStartProtocolVersion": "2.2.0", "acsEndProtocolVersion": "2.2.0",
               "acsInfoInd": info})
    };
    json!({
        "messageType": "PRes", "messageVersion": "2.2.0",
        "threeDSServerTransID": req["threeDSServerTransID"],
        "dsTransID": DS_TRANS_ID, "serialNum": "1",
        "cardRangeData": [
            range(PAN_CHALLENGE, json!(["01", "80"])),
            range(PAN_FRICTIONLESS, json!(["01", "80"])),
            {"startRange": "4242424242424200", "endRange": "4242424242424299", "actionInd": "A",
             "acsStartProtocolVersion": "2.2.0", "acsEndProtocolVersion": "2.2.0",
             "acsInfoInd": ["01"]}
        ]
    })
    .to_string()
}

async fn areq(State(seen): State<Seen>, body: Bytes) -> String {
    let req: Value = serde_json::from_slice(&body).unwrap();
    seen.areqs.lock().unwrap().push(req.clone());
    let pan = req["acctNumber"].as_str().unwrap_or_default().to_owned();
    if pan == PAN_SILENT {
        std::future::pending::<()>().await;
    }
    if pan == PAN_ERRO {
        return json!({
            "messageType": "Erro", "messageVersion": "2.2.0",
            "threeDSServerTransID": req["threeDSServerTransID"],
            "errorCode": "203", "errorComponent": "D",
            "errorDescription": "Format of one or more elements is invalid",
            "errorDetail": "purchaseAmount", "errorMessageType": "AReq"
        })
        .to_string();
    }
    let mut ares = json!({
        "messageType": "ARes", "messageVersion": "2.2.0",
        "threeDSServerTransID": req["threeDSServerTransID"],
        "dsTransID": DS_TRANS_ID, "acsTransID": ACS_TRANS_ID,
        "acsReferenceNumber": "PAYGATE-SIM-ACS", "acsOperatorID": "SIM-ACS-1",
        "dsReferenceNumber": "PAYGATE-SIM-DS"
    });
    let extra = match pan.as_str() {
        PAN_FRICTIONLESS => json!({"transStatus": "Y", "eci": "05", "authenticationValue": CAVV}),
        PAN_MASTERCARD => json!({"transStatus": "Y", "eci": "02", "authenticationValue": CAVV}),
        PAN_WRONG_ECI => json!({"transStatus": "Y", "eci": "05", "authenticationValue": CAVV}),
        PAN_CHALLENGE => json!({"transStatus": "C", "acsChallengeMandated": "N",
            "acsURL": "http://127.0.0.1:7400/acs/challenge", "authenticationType": "01"}),
        PAN_UNAVAILABLE => json!({"transStatus": "U", "transStatusReason": "11"}),
        PAN_NOT_AUTHENTICATED => json!({"transStatus": "N", "transStatusReason": "01"}),
        PAN_REJECTED => json!({"transStatus": "R", "transStatusReason": "02"}),
        PAN_OTHER_TRANSACTION => json!({"transStatus": "Y", "eci": "05",
            "authenticationValue": CAVV,
            "threeDSServerTransID": "00000000-0000-4000-8000-000000000000"}),
        _ => json!({"transStatus": "U", "transStatusReason": "08"}),
    };
    for (k, v) in extra.as_object().unwrap() {
        ares[k] = v.clone();
    }
    if pan == PAN_NO_ACS {
        let o = ares.as_object_mut().unwrap();
        for k in ["acsTransID", "acsReferenceNumber", "acsOperatorID"] {
            o.remove(k);
        }
    }
    ares.to_string()
}
