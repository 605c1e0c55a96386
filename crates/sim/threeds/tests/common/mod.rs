//! The test harness: the simulator started in-process on port 0 with a fresh data directory,
//! a tiny 3DS Server that receives RReqs, and a browser made of reqwest and a form reader.
#![allow(dead_code)]

use std::time::Duration;

use axum::Json;
use axum::routing::post;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use hmac::{Hmac, KeyInit, Mac};
use paygate_sim_threeds::{Config, Running};
use serde_json::{Value, json};
use sha2::Sha256;
use tokio::sync::mpsc;

/// The CAVV key of the tests (a test key only).
pub const KEY: [u8; 32] = [0x5a; 32];
pub const CHALLENGE_CARD: &str = "4000000000003220";
pub const FRICTIONLESS_CARD: &str = "4000000000003055";
pub const DECLINED_AFTER_AUTH_CARD: &str = "4000008400001629";
pub const UNAVAILABLE_CARD: &str = "4000000000003097";
pub const VISA_4242: &str = "4242424242424242";
/// Luhn-valid, in no card range.
pub const NOT_ENROLLED_CARD: &str = "4111111111111111";
/// How long a test waits for an RReq before failing (a liveness bound, not a timing check).
const RREQ_WAIT: Duration = Duration::from_secs(30);

pub struct TestSim {
    pub sim: Option<Running>,
    pub dir: tempfile::TempDir,
    pub base: String,
    pub http: reqwest::Client,
    pub server: ThreeDsServer,
}

/// The 3DS Server side: where RReqs arrive.
pub struct ThreeDsServer {
    pub rreq_url: String,
    rreqs: mpsc::UnboundedReceiver<Value>,
}

impl ThreeDsServer {
    async fn start() -> ThreeDsServer {
        let (tx, rreqs) = mpsc::unbounded_channel();
        let app = axum::Router::new().route(
            "/3ds/rreq",
            post(move |Json(rreq): Json<Value>| {
                let tx = tx.clone();
                async move {
                    let rres = json!({
                        "messageType": "RRes",
                        "messageVersion": "2.2.0",
                        "threeDSServerTransID": rreq["threeDSServerTransID"],
                        "dsTransID": rreq["dsTransID"],
                        "acsTransID": rreq["acsTransID"],
                        "resultsStatus": "01",
                    });
                    let _ = tx.send(rreq);
                    Json(rres)
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        ThreeDsServer {
            rreq_url: format!("http://{addr}/3ds/rreq"),
            rreqs,
        }
    }

    /// The next RReq received.
    pub async fn next_rreq(&mut self) -> Value {
        tokio::time::timeout(RREQ_WAIT, self.rreqs.recv())
            .await
            .expect("an RReq in time")
            .expect("receiver alive")
    }

    /// Whether an RReq is already waiting.
    pub fn try_rreq(&mut self) -> Option<Value> {
        self.rreqs.try_recv().ok()
    }
}

impl TestSim {
    pub async fn start() -> TestSim {
        Self::with_timeouts(Duration::from_secs(30), Duration::from_secs(600)).await
    }

    pub async fn with_timeouts(creq: Duration, challenge: Duration) -> TestSim {
        let dir = tempfile::tempdir().unwrap();
        let mut cfg = Config::new("127.0.0.1:0".parse().unwrap(), dir.path(), KEY);
        cfg.creq_timeout = creq;
        cfg.challenge_timeout = challenge;
        let sim = paygate_sim_threeds::start(cfg).await.unwrap();
        let base = sim.base_url().to_owned();
        TestSim {
            sim: Some(sim),
            dir,
            base,
            http: reqwest::Client::new(),
            server: ThreeDsServer::start().await,
        }
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Value {
        let resp = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{path} answers 200, also for Erro");
        resp.json().await.unwrap()
    }

    pub async fn post_raw(&self, path: &str, body: &str) -> Value {
        let resp = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .body(body.to_owned())
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        resp.json().await.unwrap()
    }

    /// An AReq for `pan` (all contract fields, valid).
    pub fn areq(&self, pan: &str, challenge_ind: &str) -> Value {
        json!({
            "messageType": "AReq",
            "messageVersion": "2.2.0",
            "threeDSServerTransID": uuid::Uuid::new_v4().to_string(),
            "threeDSServerRefNumber": "PAYGATE-3DS-01",
            "threeDSServerURL": self.server.rreq_url,
            "threeDSRequestorID": "paygate-merchant-1",
            "threeDSRequestorName": "Paygate Demo",
            "threeDSRequestorURL": "https://shop.example/",
            "threeDSRequestorAuthenticationInd": "01",
            "threeDSRequestorChallengeInd": challenge_ind,
            "threeDSCompInd": "U",
            "deviceChannel": "02",
            "messageCategory": "01",
            "acctNumber": pan,
            "cardExpiryDate": "3412",
            "purchaseAmount": "12000",
            "purchaseCurrency": "410",
            "purchaseExponent": "0",
            "purchaseDate": "20261202041500",
            "acquirerBIN": "123456",
            "acquirerMerchantID": "shop-1",
            "merchantName": "Coffee & <Cake>",
            "mcc": "5812",
            "merchantCountryCode": "410",
            "notificationURL": "https://shop.example/3ds/notify?x=1&y=2",
            "browserAcceptHeader": "text/html",
            "browserUserAgent": "test-browser/1.0",
            "browserLanguage": "ko-KR",
            "browserJavaEnabled": "false",
            "browserJavascriptEnabled": "true",
            "browserColorDepth": "24",
            "browserScreenHeight": "900",
            "browserScreenWidth": "1440",
            "browserTZ": "-540",
        })
    }

    /// AReq → ARes for `pan`.
    pub async fn authenticate(&self, pan: &str, challenge_ind: &str) -> (Value, Value) {
        let areq = self.areq(pan, challenge_ind);
        let ares = self.post_json("/ds/areq", &areq).await;
        (areq, ares)
    }

    /// Posts a form to `url` like a browser; (status, page).
    pub async fn post_form(&self, url: &str, fields: &[(&str, &str)], lang: &str) -> (u16, String) {
        let resp = self
            .http
            .post(url)
            .header("accept-language", lang)
            .form(fields)
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        (status, resp.text().await.unwrap())
    }

    /// Sends the CReq of a challenge ARes; the page.
    pub async fn creq(&self, ares: &Value, session: Option<&str>, lang: &str) -> (u16, String) {
        let creq = creq_b64(&json!({
            "threeDSServerTransID": ares["threeDSServerTransID"],
            "acsTransID": ares["acsTransID"],
            "messageType": "CReq",
            "messageVersion": "2.2.0",
            "challengeWindowSize": "05",
        }));
        let mut fields = vec![("creq", creq.as_str())];
        if let Some(s) = session {
            fields.push(("threeDSSessionData", s));
        }
        self.post_form(ares["acsURL"].as_str().unwrap(), &fields, lang)
            .await
    }

    /// Submits `password` on a challenge page.
    pub async fn password(&self, page: &str, password: &str) -> (u16, String) {
        let form = Form::read(page);
        let mut fields = form.hidden.clone();
        fields.push(("password".into(), password.into()));
        fields.push(("action".into(), "submit".into()));
        let refs: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        self.post_form(&form.action, &refs, "en").await
    }

    pub fn journal(&self) -> Vec<paygate_sim_threeds::JournalEntry> {
        paygate_sim_threeds::journal(self.dir.path()).unwrap()
    }
}

pub fn creq_b64(v: &Value) -> String {
    URL_SAFE_NO_PAD.encode(v.to_string())
}

/// The CAVV the contract defines, computed here independently of the simulator.
pub fn expected_cavv(
    pan: &str,
    amount: &str,
    currency: &str,
    ds_trans_id: &str,
    eci: &str,
) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&KEY).unwrap();
    mac.update(format!("{pan}|{amount}|{currency}|{ds_trans_id}|{eci}").as_bytes());
    STANDARD.encode(&mac.finalize().into_bytes()[..20])
}

/// A form read from a page: its action and hidden fields (HTML entities decoded).
#[derive(Debug, Clone)]
pub struct Form {
    pub action: String,
    pub hidden: Vec<(String, String)>,
}

impl Form {
    pub fn read(page: &str) -> Form {
        let start = page.find("<form").expect("a form");
        let form = &page[start
            ..page[start..]
                .find("</form>")
                .map_or(page.len(), |e| start + e)];
        let action = attr(form, "action").expect("form action");
        let mut hidden = Vec::new();
        for input in form.split("<input").skip(1) {
            let tag = &input[..input.find('>').unwrap()];
            if attr(tag, "type").as_deref() == Some("hidden") {
                hidden.push((
                    attr(tag, "name").unwrap(),
                    attr(tag, "value").unwrap_or_default(),
                ));
            }
        }
        Form { action, hidden }
    }

    pub fn field(&self, name: &str) -> Option<&str> {
        self.hidden
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The decoded `cres` field.
    pub fn cres(&self) -> Value {
        let b64 = self.field("cres").expect("a cres field");
        serde_json::from_slice(
            &URL_SAFE_NO_PAD
                .decode(b64)
                .expect("base64url without padding"),
        )
        .expect("JSON")
    }
}

fn attr(tag: &str, name: &str) -> Option<String> {
    let needle = format!(" {name}=\"");
    let at = tag.find(&needle)? + needle.len();
    let end = tag[at..].find('"')? + at;
    Some(unescape(&tag[at..end]))
}

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}
