//! 휴대폰 소액결제 tests' world: the gateway, the carrier simulator, the SMS gateway simulator
//! and the bank simulator (refunds after the month end go by bank transfer) on one shared
//! test-clock offset ([`TestTime`]), and the carrier page driven with a plain HTTP client.
#![allow(dead_code)]

use crate::support::TestApp;
use paygate_payments::{Clock, OffsetClock, SystemClock};
use paygate_sim_kit::clock::SimClock;
use reqwest::StatusCode;
use serde_json::Value;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

/// 2026-01-15T03:00:00Z (12:00 KST).
pub const JAN_15: i64 = 1_768_446_000;
/// 2026-01-31T15:00:00Z = 2026-02-01 00:00 KST.
pub const FEB_1_KST: i64 = 1_769_871_600;

/// The offset cell the gateway's `OffsetClock` and the simulators' `SimClock`s share: the
/// ManualClock of this test, set to a date the test chooses (the seconds the test runs add to
/// it, far from any boundary the test crosses).
pub struct TestTime(Arc<AtomicI64>);

impl TestTime {
    pub fn at(now_s: i64) -> TestTime {
        let t = TestTime(Arc::new(AtomicI64::new(0)));
        t.set(now_s);
        t
    }

    pub fn set(&self, now_s: i64) {
        self.0.store(now_s - SystemClock.now(), Ordering::SeqCst);
    }

    pub fn advance(&self, by_s: i64) {
        self.0.fetch_add(by_s, Ordering::SeqCst);
    }

    pub fn sim(&self) -> SimClock {
        SimClock::sharing(Arc::clone(&self.0))
    }

    pub fn gateway(&self) -> Arc<dyn Clock> {
        Arc::new(OffsetClock::sharing(Arc::clone(&self.0)))
    }
}

pub struct World {
    pub app: TestApp,
    pub clock: TestTime,
    pub sms: paygate_sim_sms::Running,
    pub carrier: paygate_sim_carrier::Running,
    pub carrier_dir: std::path::PathBuf,
    /// The bank simulator (refund accounts, virtual accounts, 계좌이체 pages) on the same clock.
    pub bank: paygate_sim_bank::Running,
    pub bank_dir: std::path::PathBuf,
    pub http: reqwest::Client,
}

pub async fn world() -> World {
    let clock = TestTime::at(JAN_15);
    let dir = tempfile::tempdir().unwrap().keep();
    let sms = paygate_sim_sms::start(paygate_sim_sms::Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: dir.join("sms"),
        clock: clock.sim(),
    })
    .await
    .unwrap();
    let carrier_dir = dir.join("carrier");
    let carrier = paygate_sim_carrier::start(paygate_sim_carrier::Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: carrier_dir.clone(),
        sms_url: Some(sms.base_url().to_string()),
        clock: clock.sim(),
    })
    .await
    .unwrap();
    let bank_dir = dir.join("bank");
    let bank = paygate_sim_bank::start(paygate_sim_bank::Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: bank_dir.clone(),
        now: paygate_sim_bank::clock_now(clock.sim()),
        notice_retry_ms: 100,
        // The bank's own login pages (계좌이체).
        pages_listen: Some("127.0.0.1:0".parse().unwrap()),
    })
    .await
    .unwrap();
    let carrier_url = carrier.base_url().to_string();
    let sms_url = sms.base_url().to_string();
    let bank_addr = bank.local_addr().to_string();
    let app = TestApp::spawn_with_clock(
        |cfg| {
            cfg.carrier_url = Some(carrier_url);
            cfg.sms_url = Some(sms_url);
            cfg.bank_addr = Some(bank_addr);
        },
        clock.gateway(),
    )
    .await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    World {
        app,
        clock,
        sms,
        carrier,
        carrier_dir,
        bank,
        bank_dir,
        http,
    }
}

pub fn hidden(html: &str, name: &str) -> String {
    let needle = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&needle)
        .unwrap_or_else(|| panic!("{name} in {html}"))
        + needle.len();
    html[start..].split('"').next().unwrap().to_string()
}

impl World {
    pub async fn intent(&self, sk: &str, amount: &str) -> (String, String) {
        let form = [
            ("amount", amount),
            ("currency", "krw"),
            ("payment_method_types[]", "mobile_carrier"),
            ("payment_method_data[type]", "mobile_carrier"),
            ("confirm", "true"),
            ("return_url", "https://shop.example/back"),
        ];
        let (s, pi) = self
            .app
            .post_as(sk, "/v1/payment_intents", &form, None)
            .await;
        assert_eq!(s, StatusCode::OK, "{pi}");
        assert_eq!(pi["status"], "requires_action", "{pi}");
        let url = pi["next_action"]["redirect_to_url"]["url"]
            .as_str()
            .unwrap()
            .to_string();
        (pi["id"].as_str().unwrap().to_string(), url)
    }

    /// Opens the page and posts the first step; returns (status, html, action, token).
    pub async fn start(
        &self,
        url: &str,
        carrier: &str,
        phone: &str,
        birth: &str,
    ) -> (StatusCode, String, String, String) {
        let html = self
            .http
            .get(url)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(html.contains("name=\"birth_date\""), "{html}");
        let t = hidden(&html, "t");
        let action = url.split('?').next().unwrap().to_string();
        let form = [
            ("t", t.as_str()),
            ("step", "start"),
            ("carrier", carrier),
            ("phone", phone),
            ("birth_date", birth),
            ("consent", "yes"),
        ];
        let r = self.http.post(&action).form(&form).send().await.unwrap();
        (r.status(), r.text().await.unwrap(), action, t)
    }

    pub async fn code(&self, phone: &str) -> String {
        let url = format!("{}/v1/messages?phone={phone}", self.sms.base_url());
        let v: Value = self
            .http
            .get(url)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let body = v["data"][0]["body"].as_str().unwrap().to_string();
        let at = body.find("인증번호 ").unwrap() + "인증번호 ".len();
        body[at..at + 6].to_string()
    }

    pub async fn otp(&self, action: &str, t: &str, code: &str) -> reqwest::Response {
        let form = [("t", t), ("step", "otp"), ("otp", code)];
        self.http.post(action).form(&form).send().await.unwrap()
    }

    pub async fn pay(
        &self,
        sk: &str,
        amount: &str,
        phone: &str,
        carrier: &str,
        birth: &str,
    ) -> String {
        let (pi, url) = self.intent(sk, amount).await;
        let (s, html, action, t) = self.start(&url, carrier, phone, birth).await;
        assert_eq!(s, StatusCode::OK, "{html}");
        let code = self.code(phone).await;
        let r = self.otp(&action, &t, &code).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        pi
    }

    pub async fn intent_doc(&self, sk: &str, pi: &str) -> Value {
        self.app
            .get_as(sk, &format!("/v1/payment_intents/{pi}"))
            .await
            .1
    }
}
