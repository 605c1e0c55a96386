//! The test harness: the simulator started in-process on port 0 with a fresh data directory,
//! and a cardholder client built from the protocol crate (key pair, CSR, card JWE, signature).
#![allow(dead_code)]

use std::time::Duration;

use paygate_isp::p256::ecdsa::SigningKey;
use paygate_isp::p256::elliptic_curve::Generate;
use paygate_isp::{CardPayload, Expected, PublicJwk, SignedData, csr, jwe, signature};
use paygate_sim_isp::{Config, Running};
use serde_json::{Value, json};
use time::OffsetDateTime;

/// The CAVV key of the tests (a test key only).
pub const KEY: [u8; 32] = [0x3c; 32];
pub const VISA: &str = "4242424242424242";
pub const MASTERCARD: &str = "5555555555554444";
pub const STOLEN: &str = "4000000000009979";

pub struct TestSim {
    pub sim: Option<Running>,
    pub dir: tempfile::TempDir,
    pub base: String,
    pub http: reqwest::Client,
}

impl TestSim {
    pub async fn start() -> TestSim {
        TestSim::start_with(Duration::from_secs(365 * 24 * 3600)).await
    }

    pub async fn start_with(lifetime: Duration) -> TestSim {
        let dir = tempfile::tempdir().unwrap();
        let mut cfg = Config::new("127.0.0.1:0".parse().unwrap(), dir.path(), KEY);
        cfg.certificate_lifetime = lifetime;
        let sim = paygate_sim_isp::start(cfg).await.unwrap();
        TestSim {
            base: sim.base_url().to_owned(),
            sim: Some(sim),
            dir,
            http: reqwest::Client::new(),
        }
    }

    /// Stops the simulator and starts a new one on the same data directory.
    pub async fn restart(&mut self) {
        self.sim.take().unwrap().shutdown().await.unwrap();
        let cfg = Config::new("127.0.0.1:0".parse().unwrap(), self.dir.path(), KEY);
        let sim = paygate_sim_isp::start(cfg).await.unwrap();
        self.base = sim.base_url().to_owned();
        self.sim = Some(sim);
    }

    pub async fn get(&self, path: &str) -> Value {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{path}");
        r.json().await.unwrap()
    }

    /// POSTs JSON; returns status and body.
    pub async fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .json(body)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap())
    }

    pub async fn encryption_key(&self) -> (PublicJwk, String) {
        let jwk: PublicJwk = serde_json::from_value(self.get("/v1/encryption_key").await).unwrap();
        let kid = jwk.kid.clone().unwrap();
        (jwk, kid)
    }

    pub async fn card_jwe(&self, card: &CardPayload) -> String {
        let (jwk, kid) = self.encryption_key().await;
        jwe::encrypt_card(&jwk, &kid, card).unwrap()
    }

    /// Enrols `number`; panics unless issued.
    pub async fn enroll(&self, number: &str) -> Holder {
        let key = SigningKey::generate();
        let card = card(number);
        let body = json!({"csr": csr::build(&key).unwrap(), "card": self.card_jwe(&card).await,
                          "password_set": true});
        let (status, out) = self.post("/v1/enroll", &body).await;
        assert_eq!(status, 200, "{out}");
        Holder {
            key,
            certificate: out["certificate"].as_str().unwrap().to_owned(),
            serial: out["serial"].as_str().unwrap().to_owned(),
            card,
        }
    }

    pub fn journal(&self) -> Vec<paygate_sim_isp::JournalEntry> {
        paygate_sim_isp::journal(self.dir.path()).unwrap()
    }
}

pub fn card(number: &str) -> CardPayload {
    CardPayload {
        number: number.to_owned(),
        exp_month: 12,
        exp_year: 2034,
        cvc: Some("123".to_owned()),
    }
}

pub fn expected() -> Expected {
    Expected {
        payment_intent: "pi_isp1".to_owned(),
        merchant: "acct_isp1".to_owned(),
        amount: 12_000,
        currency: "krw".to_owned(),
    }
}

/// An enrolled cardholder.
pub struct Holder {
    pub key: SigningKey,
    pub certificate: String,
    pub serial: String,
    pub card: CardPayload,
}

impl Holder {
    /// A verify request for `expected`, signed now.
    pub async fn verify_request(&self, sim: &TestSim, expected: &Expected) -> Value {
        self.verify_request_at(sim, expected, OffsetDateTime::now_utc())
            .await
    }

    pub async fn verify_request_at(
        &self,
        sim: &TestSim,
        expected: &Expected,
        at: OffsetDateTime,
    ) -> Value {
        let text = SignedData::new(expected, at).to_text();
        json!({
            "certificate": self.certificate,
            "signed_data": text,
            "signature": signature::sign(&self.key, text.as_bytes()),
            "card": sim.card_jwe(&self.card).await,
            "expected": expected,
        })
    }
}

/// The code of an error answer.
pub fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("<none>")
}
