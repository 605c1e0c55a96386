//! `TestApp`: a real gateway on port 0 with a fresh database and its own in-process card
//! network simulator, driven over HTTP.
#![allow(dead_code)]

pub mod checkout_page;
pub mod wallet_python;
pub mod webhook_receiver;

use paygate_gateway::config::Config;
use paygate_gateway::{Server, admin};
use paygate_sim_network::{SimConfig, SimHandle};
use reqwest::StatusCode;
use serde_json::Value;
use std::path::PathBuf;
use std::sync::Arc;

pub struct TestApp {
    pub server: Server,
    /// The card network the gateway talks to (its journal under [`TestApp::sim_dir`]).
    pub sim: SimHandle,
    pub base: String,
    pub key: String,
    /// The merchant's publishable key (what a payer's client confirms with).
    pub publishable: String,
    pub merchant: String,
    pub client: reqwest::Client,
    pub dir: tempfile::TempDir,
    /// The 3-D Secure DS + ACS simulator, when started ([`TestApp::spawn_three_ds`]).
    pub three_ds: Option<paygate_sim_threeds::Running>,
    /// The ISP server simulator, when started ([`TestApp::spawn_isp`]).
    pub isp: Option<paygate_sim_isp::Running>,
}

/// The simulators a test app starts beside the card network.
#[derive(Clone, Copy, Default)]
struct Sims {
    three_ds: bool,
    /// The ISP server, issuing certificates valid this long.
    isp: Option<std::time::Duration>,
}

/// The CAVV key the test simulators share (test key, tests only).
pub const TEST_CAVV_KEY: [u8; 32] = [0x5a; 32];

pub const VISA: &str = "4242424242424242";

impl TestApp {
    pub async fn spawn() -> TestApp {
        TestApp::spawn_with(|_| {}).await
    }

    pub async fn spawn_with(f: impl FnOnce(&mut Config)) -> TestApp {
        Self::spawn_with_clock(f, Arc::new(paygate_payments::SystemClock)).await
    }

    /// A test app whose gateway reads the time from `clock`.
    pub async fn spawn_with_clock(
        f: impl FnOnce(&mut Config),
        clock: Arc<dyn paygate_payments::Clock>,
    ) -> TestApp {
        Self::spawn_full(f, clock, Sims::default()).await
    }

    /// A test app with the ISP server simulator (certificates valid `certificate_lifetime`),
    /// as `paygate serve` runs it: the card network verifies the authentication values the
    /// ISP server computes with the same key.
    pub async fn spawn_isp(
        f: impl FnOnce(&mut Config),
        certificate_lifetime: std::time::Duration,
    ) -> TestApp {
        let sims = Sims {
            three_ds: false,
            isp: Some(certificate_lifetime),
        };
        Self::spawn_full(f, Arc::new(paygate_payments::SystemClock), sims).await
    }

    /// A test app with the 3-D Secure simulator, as `paygate serve` runs the demo: the card
    /// network verifies the CAVVs the ACS computes with the same key.
    pub async fn spawn_three_ds(
        f: impl FnOnce(&mut Config),
        clock: Arc<dyn paygate_payments::Clock>,
    ) -> TestApp {
        let sims = Sims {
            three_ds: true,
            isp: None,
        };
        Self::spawn_full(f, clock, sims).await
    }

    async fn spawn_full(
        f: impl FnOnce(&mut Config),
        clock: Arc<dyn paygate_payments::Clock>,
        sims: Sims,
    ) -> TestApp {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut sim_cfg = SimConfig::new(
            "127.0.0.1:0".parse().expect("address"),
            dir.path().join("network-sim"),
        );
        let mut three_ds = None;
        if sims.three_ds {
            sim_cfg.cavv_key = Some(paygate_sim_network::CavvKey::new(TEST_CAVV_KEY));
            let tds = paygate_sim_threeds::start(paygate_sim_threeds::Config::new(
                "127.0.0.1:0".parse().expect("address"),
                dir.path().join("3ds-sim"),
                TEST_CAVV_KEY,
            ))
            .await
            .expect("3-D Secure simulator starts");
            three_ds = Some(tds);
        }
        let mut isp = None;
        if let Some(lifetime) = sims.isp {
            sim_cfg.cavv_key = Some(paygate_sim_network::CavvKey::new(TEST_CAVV_KEY));
            let mut isp_cfg = paygate_sim_isp::Config::new(
                "127.0.0.1:0".parse().expect("address"),
                dir.path().join("isp-sim"),
                TEST_CAVV_KEY,
            );
            isp_cfg.certificate_lifetime = lifetime;
            let running = paygate_sim_isp::start(isp_cfg)
                .await
                .expect("ISP simulator starts");
            isp = Some(running);
        }
        let sim = paygate_sim_network::start(sim_cfg)
            .await
            .expect("network simulator starts");
        let mut cfg = Config {
            data_dir: dir.path().to_path_buf(),
            listen: "127.0.0.1:0".into(),
            metrics_listen: "127.0.0.1:0".into(),
            network_timeout_ms: 1_500,
            settle_daily: false,
            network_addr: Some(sim.local_addr().to_string()),
            three_ds_url: three_ds.as_ref().map(|t| t.base_url().to_string()),
            isp_url: isp.as_ref().map(|i| i.base_url().to_string()),
            ..Config::default()
        };
        f(&mut cfg);
        // `test_clock` (`--test-clock`): the gateway's own OffsetClock instead of `clock`.
        let server = if cfg.test_clock {
            paygate_gateway::start_with_test_clock(cfg.clone(), None).await
        } else {
            paygate_gateway::start_with_clock(cfg.clone(), clock).await
        }
        .expect("gateway starts");
        let m = admin::create_merchant(&server.state.store, &cfg, "Test shop")
            .await
            .expect("merchant");
        TestApp {
            base: format!("http://{}", server.addr),
            server,
            sim,
            key: m.secret_key,
            publishable: m.publishable_key,
            merchant: m.id,
            client: reqwest::Client::new(),
            dir,
            three_ds,
            isp,
        }
    }

    /// A second merchant on the same gateway; returns its secret key.
    pub async fn other_merchant(&self) -> String {
        admin::create_merchant(
            &self.server.state.store,
            &self.server.state.cfg,
            "Other shop",
        )
        .await
        .expect("merchant")
        .secret_key
    }

    pub fn sim_dir(&self) -> PathBuf {
        self.dir.path().join("network-sim")
    }

    /// The ISP simulator's data directory (its journal).
    pub fn isp_dir(&self) -> PathBuf {
        self.dir.path().join("isp-sim")
    }

    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> (StatusCode, Value) {
        self.post_as(&self.key, path, form, None).await
    }

    pub async fn post_idem(
        &self,
        path: &str,
        form: &[(&str, &str)],
        key: &str,
    ) -> (StatusCode, Value) {
        self.post_as(&self.key, path, form, Some(key)).await
    }

    pub async fn post_as(
        &self,
        sk: &str,
        path: &str,
        form: &[(&str, &str)],
        idem: Option<&str>,
    ) -> (StatusCode, Value) {
        let resp = self.post_response(sk, path, form, idem).await;
        let status = resp.status();
        let v = resp.json().await.unwrap_or(Value::Null);
        (status, v)
    }

    /// The whole response of a form POST (headers included).
    pub async fn post_response(
        &self,
        sk: &str,
        path: &str,
        form: &[(&str, &str)],
        idem: Option<&str>,
    ) -> reqwest::Response {
        let mut req = self
            .client
            .post(format!("{}{}", self.base, path))
            .bearer_auth(sk)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(url_encode(form));
        if let Some(k) = idem {
            req = req.header("Idempotency-Key", k);
        }
        req.send().await.expect("request")
    }

    /// Another secret key of this merchant (its own rate-limit bucket).
    pub async fn second_key(&self) -> String {
        admin::create_key(&self.server.state.store, &self.merchant, false, true)
            .await
            .expect("key")
            .0
    }

    /// `GET /metrics` from the metrics listener.
    pub async fn metrics_text(&self) -> String {
        let addr = self.server.metrics_addr.expect("metrics listener");
        let resp = reqwest::get(format!("http://{addr}/metrics"))
            .await
            .expect("metrics");
        assert_eq!(resp.status(), StatusCode::OK);
        resp.text().await.expect("metrics text")
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.get_as(&self.key, path).await
    }

    pub async fn get_as(&self, sk: &str, path: &str) -> (StatusCode, Value) {
        let resp = self
            .client
            .get(format!("{}{}", self.base, path))
            .bearer_auth(sk)
            .send()
            .await
            .expect("request");
        let status = resp.status();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// Creates and confirms a card payment in one call.
    pub async fn pay(
        &self,
        number: &str,
        amount: i64,
        extra: &[(&str, &str)],
    ) -> (StatusCode, Value) {
        let amount = amount.to_string();
        let mut form = card_payment_form(number, &amount);
        form.extend_from_slice(extra);
        self.post("/v1/payment_intents", &form).await
    }

    /// Every event type written so far for this merchant, oldest first.
    pub async fn event_types(&self) -> Vec<String> {
        let (_, v) = self.get("/v1/events?limit=100").await;
        let mut types: Vec<String> = v["data"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|e| e["type"].as_str().unwrap_or_default().to_string())
                    .collect()
            })
            .unwrap_or_default();
        types.reverse();
        types
    }

    /// The simulator's journal entry for an RRN.
    pub fn journal_by_rrn(&self, rrn: &str) -> Value {
        let entries = paygate_sim_network::journal(&self.sim_dir()).expect("journal");
        let v = serde_json::to_value(entries).expect("json");
        v.as_array()
            .and_then(|a| {
                a.iter()
                    .find(|e| e["rrn"] == rrn && e["type"] == "authorization")
                    .cloned()
            })
            .unwrap_or(Value::Null)
    }

    /// (available, pending) KRW balance; a failed request fails the test, never reads as 0.
    pub async fn balance(&self) -> (i64, i64) {
        self.balance_as(&self.key).await
    }

    pub async fn balance_as(&self, sk: &str) -> (i64, i64) {
        let (status, b) = self.get_as(sk, "/v1/balance").await;
        assert_eq!(status, StatusCode::OK, "GET /v1/balance answered {b}");
        assert_eq!(b["object"], "balance", "{b}");
        let pick = |k: &str| {
            b[k].as_array()
                .and_then(|a| a.iter().find(|x| x["currency"] == "krw"))
                .and_then(|x| x["amount"].as_i64())
                .unwrap_or(0)
        };
        (pick("available"), pick("pending"))
    }

    pub async fn ledger_problems(&self) -> Vec<String> {
        self.server
            .state
            .store
            .ledger_verify()
            .await
            .expect("verify")
            .problems
    }
}

/// The form of a KRW payment confirmed at once with raw card data (`amount` in minor units).
pub fn card_payment_form<'a>(number: &'a str, amount: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("amount", amount),
        ("currency", "krw"),
        ("confirm", "true"),
        ("payment_method_data[type]", "card"),
        ("payment_method_data[card][number]", number),
        ("payment_method_data[card][exp_month]", "12"),
        ("payment_method_data[card][exp_year]", "2034"),
        ("payment_method_data[card][cvc]", "123"),
    ]
}

pub fn url_encode(form: &[(&str, &str)]) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in form {
        s.append_pair(k, v);
    }
    s.finish()
}
