//! 계좌이체 tests' world: the gateway and the bank simulator (its telegram link and its own
//! login pages) on one `ManualClock`, and the payer's way through paygate's bank choice page,
//! the bank's login and approval pages and paygate's return page, with a plain HTTP client.

use crate::support::TestApp;
use paygate_payments::{Clock, ManualClock};
use reqwest::StatusCode;
use serde_json::Value;
use std::sync::Arc;

pub const T0: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z
pub const SHOP: &str = "https://shop.example/back";

pub struct World {
    pub app: TestApp,
    pub bank: paygate_sim_bank::Running,
    pub bank_dir: tempfile::TempDir,
    pub http: reqwest::Client,
}

pub async fn world() -> World {
    let clock = Arc::new(ManualClock::new(T0));
    let bank_dir = tempfile::tempdir().unwrap();
    let c = clock.clone();
    let bank = paygate_sim_bank::start(paygate_sim_bank::Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: bank_dir.path().to_path_buf(),
        now: Arc::new(move || c.now()),
        notice_retry_ms: 100,
        pages_listen: Some("127.0.0.1:0".parse().unwrap()),
    })
    .await
    .unwrap();
    let addr = bank.local_addr().to_string();
    let app = TestApp::spawn_with_clock(move |cfg| cfg.bank_addr = Some(addr), clock).await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    World {
        app,
        bank,
        bank_dir,
        http,
    }
}

pub fn between<'a>(html: &'a str, before: &str) -> &'a str {
    let start = html
        .find(before)
        .unwrap_or_else(|| panic!("{before} in {html}"))
        + before.len();
    html[start..].split('"').next().unwrap()
}

pub fn location(r: &reqwest::Response) -> String {
    r.headers()["location"].to_str().unwrap().to_string()
}

/// Where the payer is after each step.
pub struct Flow {
    pub pi: String,
    pub page: String,
    pub token: String,
}

impl World {
    pub async fn confirm(&self, amount: &str) -> Flow {
        let form = [
            ("amount", amount),
            ("currency", "krw"),
            ("payment_method_types[]", "bank_transfer"),
            ("payment_method_data[type]", "bank_transfer"),
            ("confirm", "true"),
            ("return_url", SHOP),
        ];
        let (s, pi) = self.app.post("/v1/payment_intents", &form).await;
        assert_eq!(s, StatusCode::OK, "{pi}");
        assert_eq!(pi["status"], "requires_action");
        assert_eq!(pi["next_action"]["type"], "redirect_to_url");
        let page = pi["next_action"]["redirect_to_url"]["url"]
            .as_str()
            .unwrap()
            .to_string();
        assert_eq!(pi["next_action"]["redirect_to_url"]["return_url"], SHOP);
        let token = page.split("t=").nth(1).unwrap().to_string();
        Flow {
            pi: pi["id"].as_str().unwrap().to_string(),
            page,
            token,
        }
    }

    /// Picks `bank` on paygate's page: the bank's login page URL.
    pub async fn choose(&self, f: &Flow, bank: &str) -> String {
        let r = self.http.get(&f.page).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let html = r.text().await.unwrap();
        assert!(html.contains("name=\"bank\""), "{html}");
        assert!(html.contains("value=\"088\""), "{html}");
        let action = between(&html, "<form method=\"post\" action=\"").replace("&amp;", "&");
        let r = self
            .http
            .post(&action)
            .form(&[("t", f.token.as_str()), ("bank", bank)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let html = r.text().await.unwrap();
        between(&html, "<form method=\"get\" action=\"").to_string()
    }

    /// Logs in at the bank: the approval page's session, or the bank's response.
    pub async fn login(&self, bank_url: &str, account: &str, password: &str) -> reqwest::Response {
        let r = self.http.get(bank_url).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let html = r.text().await.unwrap();
        assert!(html.contains("name=\"account_number\""), "{html}");
        assert!(html.contains("name=\"password\""), "{html}");
        self.http
            .post(format!("{bank_url}/login"))
            .form(&[("account_number", account), ("password", password)])
            .send()
            .await
            .unwrap()
    }

    /// Logs in and approves: the bank's redirect back to paygate.
    pub async fn approve(&self, bank_url: &str, account: &str, password: &str) -> String {
        let r = self.login(bank_url, account, password).await;
        assert_eq!(r.status(), StatusCode::OK);
        let html = r.text().await.unwrap();
        let session = between(&html, "name=\"session\" value=\"").to_string();
        let r = self
            .http
            .post(format!("{bank_url}/approve"))
            .form(&[("session", session.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        location(&r)
    }

    /// Follows the bank's redirect to paygate's return page: (status, Location).
    pub async fn back(&self, return_url: &str) -> (StatusCode, String) {
        let r = self.http.get(return_url).send().await.unwrap();
        let s = r.status();
        let loc = r
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        (s, loc)
    }

    pub async fn pay(&self, amount: &str, bank: &str, account: &str, password: &str) -> Flow {
        let f = self.confirm(amount).await;
        let bank_url = self.choose(&f, bank).await;
        let ret = self.approve(&bank_url, account, password).await;
        let (s, loc) = self.back(&ret).await;
        assert_eq!(s, StatusCode::SEE_OTHER);
        assert!(loc.starts_with(SHOP), "{loc}");
        f
    }

    pub fn journal(&self) -> Vec<paygate_sim_bank::JournalLine> {
        paygate_sim_bank::journal(self.bank_dir.path()).unwrap()
    }

    pub fn events(&self, name: &str) -> Vec<paygate_sim_bank::JournalLine> {
        self.journal()
            .into_iter()
            .filter(|l| l.event == name)
            .collect()
    }

    pub async fn reconcile(&self) -> paygate_gateway::reconcile_bank::BankReconcileReport {
        let v = serde_json::to_value(self.journal()).unwrap();
        let lines: Vec<paygate_gateway::reconcile_bank::BankLine> =
            serde_json::from_value(v).unwrap();
        paygate_gateway::reconcile_bank::reconcile_bank(&self.app.server.state.store, &lines)
            .await
            .unwrap()
    }

    pub async fn intent(&self, id: &str) -> Value {
        let (s, pi) = self.app.get(&format!("/v1/payment_intents/{id}")).await;
        assert_eq!(s, StatusCode::OK, "{pi}");
        pi
    }
}
