//! The dashboard's HTTP test harness: a real gateway (port 0, fresh database, its own card
//! network simulator, a `ManualClock`) serving the dashboard, users, login, payments.
#![allow(dead_code)]

use paygate_dashboard::{totp, users};
use paygate_gateway::admin;
use paygate_gateway::config::Config;
use paygate_payments::{Clock, ManualClock};
use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use serde_json::Value;
use std::sync::Arc;

pub const T0: i64 = 1_900_000_000;
pub const PASSWORD: &str = "correct horse battery staple";

pub struct App {
    pub server: paygate_gateway::Server,
    pub _sim: paygate_sim_network::SimHandle,
    pub _dir: tempfile::TempDir,
    pub clock: Arc<ManualClock>,
    pub base: String,
    pub http: reqwest::Client,
    pub merchant: String,
    pub key: String,
}

impl App {
    pub async fn start() -> App {
        let dir = tempfile::tempdir().expect("tempdir");
        let sim = paygate_sim_network::start(paygate_sim_network::SimConfig::new(
            "127.0.0.1:0".parse().expect("address"),
            dir.path().join("network-sim"),
        ))
        .await
        .expect("network simulator");
        let cfg = Config {
            data_dir: dir.path().to_path_buf(),
            listen: "127.0.0.1:0".into(),
            metrics_listen: "off".into(),
            settle_daily: false,
            network_addr: Some(sim.local_addr().to_string()),
            ..Config::default()
        };
        let clock = Arc::new(ManualClock::new(T0));
        let server = paygate_gateway::start_with_routes(
            cfg.clone(),
            clock.clone(),
            &[paygate_dashboard::router],
        )
        .await
        .expect("gateway starts");
        let m = admin::create_merchant(&server.state.store, &cfg, "Shop A")
            .await
            .expect("merchant");
        App {
            base: format!("http://{}", server.addr),
            server,
            _sim: sim,
            _dir: dir,
            clock,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            merchant: m.id,
            key: m.secret_key,
        }
    }

    pub async fn user(&self, email: &str, role: users::Role) -> totp::TotpSecret {
        let st = &self.server.state;
        users::create(
            &st.store,
            &st.vault,
            email,
            role,
            PASSWORD,
            self.clock.now(),
        )
        .await
        .expect("user")
        .1
    }

    pub async fn get(
        &self,
        path: &str,
        cookie: &str,
    ) -> (StatusCode, String, reqwest::header::HeaderMap) {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .header(COOKIE, cookie)
            .header("accept-language", "en")
            .send()
            .await
            .expect("request");
        let (s, h) = (r.status(), r.headers().clone());
        (s, r.text().await.unwrap_or_default(), h)
    }

    pub async fn post(&self, path: &str, cookie: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.http
            .post(format!("{}{path}", self.base))
            .header(COOKIE, cookie)
            .header("accept-language", "en")
            .form(form)
            .send()
            .await
            .expect("request")
    }

    /// The login form: its pre-login cookie and CSRF token.
    pub async fn login_form(&self) -> (String, String) {
        let (s, html, h) = self.get("/dashboard/login", "").await;
        assert_eq!(s, StatusCode::OK);
        (
            set_cookie(&h, "pgdash_login").expect("pre-login cookie"),
            csrf(&html),
        )
    }

    /// Password step; returns the TOTP-stage session cookie.
    pub async fn password(&self, email: &str, password: &str) -> reqwest::Response {
        let (pre, token) = self.login_form().await;
        self.post(
            "/dashboard/login",
            &format!("pgdash_login={pre}"),
            &[("csrf", &token), ("email", email), ("password", password)],
        )
        .await
    }

    /// Both steps; returns the logged-in session cookie.
    pub async fn login(&self, email: &str, secret: &totp::TotpSecret) -> String {
        let r = self.password(email, PASSWORD).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let s1 = set_cookie(r.headers(), "pgdash_session").expect("session");
        let c1 = format!("pgdash_session={s1}");
        let (s, html, _) = self.get("/dashboard/login/totp", &c1).await;
        assert_eq!(s, StatusCode::OK);
        let code = totp::code_at(secret, totp::step_of(self.clock.now()));
        let r = self
            .post(
                "/dashboard/login/totp",
                &c1,
                &[("csrf", &csrf(&html)), ("code", &code)],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(r.headers()[LOCATION], "/dashboard/payments");
        let s2 = set_cookie(r.headers(), "pgdash_session").expect("new session");
        assert_ne!(s1, s2, "the session id is rotated at login");
        format!("pgdash_session={s2}")
    }

    pub async fn pay(&self, key: &str, amount: &str, extra: &[(&str, &str)]) -> Value {
        let mut form = vec![
            ("amount", amount),
            ("currency", "krw"),
            ("confirm", "true"),
            ("payment_method_data[type]", "card"),
            ("payment_method_data[card][number]", "4242424242424242"),
            ("payment_method_data[card][exp_month]", "12"),
            ("payment_method_data[card][exp_year]", "2034"),
            ("payment_method_data[card][cvc]", "123"),
        ];
        form.extend_from_slice(extra);
        let r = self
            .http
            .post(format!("{}/v1/payment_intents", self.base))
            .bearer_auth(key)
            .form(&form)
            .send()
            .await
            .expect("request");
        assert_eq!(r.status(), StatusCode::OK);
        r.json().await.expect("json")
    }
}

pub fn set_cookie(h: &reqwest::header::HeaderMap, name: &str) -> Option<String> {
    h.get_all(SET_COOKIE).iter().find_map(|v| {
        let v = v.to_str().ok()?;
        let (kv, attrs) = v.split_once(';')?;
        let (k, val) = kv.split_once('=')?;
        assert!(
            attrs.contains("HttpOnly") && attrs.contains("SameSite=Strict"),
            "{v}"
        );
        (k == name).then(|| val.to_string())
    })
}

pub fn csrf(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").expect("a csrf field") + 19;
    html[at..].split('"').next().expect("value").to_string()
}
