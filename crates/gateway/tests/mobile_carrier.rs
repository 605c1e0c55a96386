//! 휴대폰 소액결제 end to end in process: the gateway, the carrier simulator and the SMS
//! gateway simulator on one shared test-clock offset ([`TestTime`]); the carrier page driven with a plain HTTP client
//! (forms, no script). Every carrier rule (subscriber, minor, monthly limit across merchants,
//! code wrong and expired), the charge's details and ledger, full-only and same-month refunds,
//! KRW only, tenancy and the carrier's settlement file.

mod support;

use paygate_payments::{Clock, OffsetClock, SystemClock};
use paygate_sim_kit::clock::SimClock;
use reqwest::StatusCode;
use serde_json::Value;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use support::TestApp;

/// 2026-01-15T03:00:00Z (12:00 KST).
const JAN_15: i64 = 1_768_446_000;
/// 2026-01-31T15:00:00Z = 2026-02-01 00:00 KST.
const FEB_1_KST: i64 = 1_769_871_600;

/// The offset cell the gateway's `OffsetClock` and the simulators' `SimClock`s share: the
/// ManualClock of this test, set to a date the test chooses (the seconds the test runs add to
/// it, far from any boundary the test crosses).
struct TestTime(Arc<AtomicI64>);

impl TestTime {
    fn at(now_s: i64) -> TestTime {
        let t = TestTime(Arc::new(AtomicI64::new(0)));
        t.set(now_s);
        t
    }

    fn set(&self, now_s: i64) {
        self.0.store(now_s - SystemClock.now(), Ordering::SeqCst);
    }

    fn advance(&self, by_s: i64) {
        self.0.fetch_add(by_s, Ordering::SeqCst);
    }

    fn sim(&self) -> SimClock {
        SimClock::sharing(Arc::clone(&self.0))
    }

    fn gateway(&self) -> Arc<dyn Clock> {
        Arc::new(OffsetClock::sharing(Arc::clone(&self.0)))
    }
}

struct World {
    app: TestApp,
    clock: TestTime,
    sms: paygate_sim_sms::Running,
    carrier: paygate_sim_carrier::Running,
    carrier_dir: std::path::PathBuf,
    http: reqwest::Client,
}

async fn world() -> World {
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
    let carrier_url = carrier.base_url().to_string();
    let sms_url = sms.base_url().to_string();
    let app = TestApp::spawn_with_clock(
        |cfg| {
            cfg.carrier_url = Some(carrier_url);
            cfg.sms_url = Some(sms_url);
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
        http,
    }
}

fn hidden(html: &str, name: &str) -> String {
    let needle = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&needle)
        .unwrap_or_else(|| panic!("{name} in {html}"))
        + needle.len();
    html[start..].split('"').next().unwrap().to_string()
}

impl World {
    async fn intent(&self, sk: &str, amount: &str) -> (String, String) {
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
    async fn start(
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

    async fn code(&self, phone: &str) -> String {
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

    async fn otp(&self, action: &str, t: &str, code: &str) -> reqwest::Response {
        let form = [("t", t), ("step", "otp"), ("otp", code)];
        self.http.post(action).form(&form).send().await.unwrap()
    }

    async fn pay(&self, sk: &str, amount: &str, phone: &str, carrier: &str, birth: &str) -> String {
        let (pi, url) = self.intent(sk, amount).await;
        let (s, html, action, t) = self.start(&url, carrier, phone, birth).await;
        assert_eq!(s, StatusCode::OK, "{html}");
        let code = self.code(phone).await;
        let r = self.otp(&action, &t, &code).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        pi
    }

    async fn intent_doc(&self, sk: &str, pi: &str) -> Value {
        self.app
            .get_as(sk, &format!("/v1/payment_intents/{pi}"))
            .await
            .1
    }
}

#[tokio::test]
async fn a_carrier_payment_through_the_page_is_charged_posted_and_refunded_in_full() {
    let w = world().await;
    let (pi, url) = w.intent(&w.app.key, "15000").await;
    let (s, html, action, t) = w.start(&url, "skt", "010-1234-5678", "19900101").await;
    assert_eq!(s, StatusCode::OK, "{html}");
    assert!(
        html.contains("5678") && !html.contains("01012345678"),
        "{html}"
    );
    let code = w.code("01012345678").await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let r = w.otp(&action, &t, wrong).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = w.otp(&action, &t, &code).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let loc = r.headers()["location"].to_str().unwrap().to_string();
    assert!(
        loc.starts_with("https://shop.example/back") && loc.contains("redirect_status=succeeded"),
        "{loc}"
    );

    let doc = w.intent_doc(&w.app.key, &pi).await;
    assert_eq!(doc["status"], "succeeded", "{doc}");
    let ch_id = doc["latest_charge"].as_str().unwrap();
    let (_, ch) = w.app.get(&format!("/v1/charges/{ch_id}")).await;
    let d = &ch["payment_method_details"];
    assert_eq!(d["type"], "mobile_carrier", "{ch}");
    assert_eq!(d["mobile_carrier"]["carrier"], "skt");
    assert_eq!(d["mobile_carrier"]["phone_last4"], "5678");
    assert!(!ch.to_string().contains("01012345678"), "{ch}");
    assert_eq!(ch["captured"], true);
    assert!(w.app.ledger_problems().await.is_empty());
    assert!(
        w.app
            .event_types()
            .await
            .contains(&"payment_intent.succeeded".to_string())
    );

    // Tenancy: another merchant does not see it.
    let other = w.app.other_merchant().await;
    let (s, _) = w
        .app
        .get_as(&other, &format!("/v1/payment_intents/{pi}"))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // Full only.
    let (s, e) = w
        .app
        .post("/v1/refunds", &[("charge", ch_id), ("amount", "5000")])
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    assert_eq!(e["error"]["param"], "amount", "{e}");
    let (s, rf) = w.app.post("/v1/refunds", &[("charge", ch_id)]).await;
    assert_eq!(s, StatusCode::OK, "{rf}");
    assert_eq!(rf["status"], "succeeded", "{rf}");
    assert!(w.app.ledger_problems().await.is_empty());

    // The carrier's file of January: the payment, cancelled.
    let file =
        paygate_sim_carrier::settlement_file(&w.carrier_dir, &w.app.merchant, "2026-01").unwrap();
    let parsed = paygate_connector_carrier::settlement::parse(&file).unwrap();
    assert_eq!(parsed.details.len(), 1, "{file}");
    assert_eq!(parsed.details[0].reference, pi);
    assert!(parsed.details[0].canceled);
    let journal = paygate_sim_carrier::journal(&w.carrier_dir).unwrap();
    let events: Vec<&str> = journal.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(
        events,
        ["code_sent", "code_wrong", "verified", "charged", "canceled"]
    );
    assert!(journal.iter().all(|e| e.phone == "010****5678"));
    drop(w.carrier);
}

#[tokio::test]
async fn after_the_kst_month_end_the_carrier_refund_is_refused_naming_refund_account() {
    let w = world().await;
    let pi = w
        .pay(&w.app.key, "9000", "01012345678", "skt", "19900101")
        .await;
    let doc = w.intent_doc(&w.app.key, &pi).await;
    let ch = doc["latest_charge"].as_str().unwrap().to_string();
    w.clock.set(FEB_1_KST);
    let (s, e) = w.app.post("/v1/refunds", &[("charge", &ch)]).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    assert_eq!(
        e["error"]["code"], "charge_not_refundable_after_month_end",
        "{e}"
    );
    assert_eq!(e["error"]["param"], "refund_account", "{e}");
}

#[tokio::test]
async fn the_carrier_refuses_minors_unknown_subscribers_and_the_monthly_limit_across_merchants() {
    let w = world().await;
    let refused = async |sk: &str, amount: &str, phone: &str, carrier: &str, birth: &str| {
        let (pi, url) = w.intent(sk, amount).await;
        let (s, html, _, _) = w.start(&url, carrier, phone, birth).await;
        assert_eq!(s, StatusCode::PAYMENT_REQUIRED, "{html}");
        let doc = w.intent_doc(sk, &pi).await;
        assert_eq!(doc["status"], "requires_payment_method", "{doc}");
        doc["last_payment_error"]["code"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let key = w.app.key.clone();
    assert_eq!(
        refused(&key, "1000", "01099990000", "kt", "20120303").await,
        "mobile_minor_not_allowed"
    );
    assert_eq!(
        refused(&key, "1000", "01077770000", "skt", "19900101").await,
        "mobile_subscriber_not_found"
    );
    // LGU+ subscriber, 300,000 KRW a month: 200,000 here, then 150,000 at another shop.
    w.pay(&key, "200000", "01055550000", "lgu", "19850505")
        .await;
    let other = w.app.other_merchant().await;
    assert_eq!(
        refused(&other, "150000", "01055550000", "lgu", "19850505").await,
        "mobile_monthly_limit_exceeded"
    );
    // Next month the limit is fresh.
    w.clock.set(FEB_1_KST);
    w.pay(&other, "150000", "01055550000", "lgu", "19850505")
        .await;
}

#[tokio::test]
async fn an_expired_code_is_refused_and_a_new_one_pays() {
    let w = world().await;
    let (pi, url) = w.intent(&w.app.key, "3000").await;
    let (_, _, action, t) = w.start(&url, "skt", "01012345678", "19900101").await;
    let old = w.code("01012345678").await;
    w.clock.advance(181);
    let r = w.otp(&action, &t, &old).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let form = [
        ("t", t.as_str()),
        ("step", "resend"),
        ("phone", "01012345678"),
    ];
    let r = w.http.post(&action).form(&form).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let new = w.code("01012345678").await;
    assert_eq!(
        w.otp(&action, &t, &new).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(w.intent_doc(&w.app.key, &pi).await["status"], "succeeded");

    // The test helper lists both codes the carrier sent for this merchant's intent, newest
    // first; another merchant sees none of them.
    let path = "/v1/test_helpers/sms_messages?phone=01012345678";
    let (s, list) = w.app.get_as(&w.app.key, path).await;
    assert_eq!(s, StatusCode::OK, "{list}");
    let bodies: Vec<&str> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap())
        .collect();
    assert_eq!(bodies.len(), 2, "{list}");
    assert!(
        bodies[0].contains(&new) && bodies[1].contains(&old),
        "{list}"
    );
    let other = w.app.other_merchant().await;
    let (s, list) = w.app.get_as(&other, path).await;
    assert_eq!(s, StatusCode::OK, "{list}");
    assert_eq!(list["data"], serde_json::json!([]), "{list}");
}

#[tokio::test]
async fn mobile_carrier_is_krw_only() {
    let w = world().await;
    let form = [
        ("amount", "1000"),
        ("currency", "usd"),
        ("payment_method_data[type]", "mobile_carrier"),
        ("confirm", "true"),
        ("return_url", "https://shop.example/back"),
    ];
    let (s, e) = w.app.post("/v1/payment_intents", &form).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    assert_eq!(e["error"]["param"], "currency", "{e}");
}

/// Reconciles `file` against the gateway's books; (kind, charge) of every problem.
async fn reconcile(w: &World, file: &str) -> (Vec<(String, Option<String>)>, u64) {
    use paygate_gateway::reconcile::carrier::reconcile_carrier;
    let parsed = paygate_connector_carrier::settlement::parse(file).unwrap();
    let r = reconcile_carrier(&w.app.server.state.store, &parsed)
        .await
        .unwrap();
    let kinds = r
        .problems
        .iter()
        .map(|p| (p.kind.to_string(), p.charge.clone()))
        .collect();
    (kinds, r.matched)
}

/// The file with its detail records rewritten by `edit` (the trailer's count follows).
fn tampered(file: &str, edit: impl Fn(Vec<String>) -> Vec<String>) -> String {
    let lines: Vec<&str> = file.lines().collect();
    let details: Vec<String> = lines[1..lines.len() - 1]
        .iter()
        .map(|l| l.to_string())
        .collect();
    let details = edit(details);
    let mut out = format!("{}\n", lines[0]);
    for d in &details {
        out.push_str(&format!("{d}\n"));
    }
    out.push_str(&format!("T|{}|0|0|0|0|0\n", details.len()));
    out
}

#[tokio::test]
async fn the_settlement_file_reconciles_and_every_difference_is_named() {
    let w = world().await;
    let kept = w
        .pay(&w.app.key, "9000", "01012345678", "skt", "19900101")
        .await;
    let back = w
        .pay(&w.app.key, "4000", "01055550000", "lgu", "19850505")
        .await;
    let charge_of = async |pi: &str| {
        w.intent_doc(&w.app.key, pi).await["latest_charge"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let (kept_ch, back_ch) = (charge_of(&kept).await, charge_of(&back).await);
    let (s, rf) = w.app.post("/v1/refunds", &[("charge", &back_ch)]).await;
    assert_eq!(s, StatusCode::OK, "{rf}");
    let file =
        paygate_sim_carrier::settlement_file(&w.carrier_dir, &w.app.merchant, "2026-01").unwrap();
    assert_eq!(reconcile(&w, &file).await, (vec![], 2), "{file}");

    // The kept payment is not in the file; the refunded one is billed 4,100 and still charged.
    let f = tampered(&file, |ds| {
        ds.into_iter()
            .filter(|d| d.split('|').nth(2) != Some(kept.as_str()))
            .map(|d| {
                let mut f: Vec<String> = d.split('|').map(str::to_string).collect();
                f[5] = "4100".into();
                f[7] = "charged".into();
                f[8] = String::new();
                f.join("|")
            })
            .collect()
    });
    let (problems, _) = reconcile(&w, &f).await;
    assert!(problems.contains(&("missing_at_carrier".into(), Some(kept_ch.clone()))));
    assert!(problems.contains(&("amount_mismatch".into(), Some(back_ch.clone()))));
    assert!(problems.contains(&("cancel_mismatch".into(), Some(back_ch.clone()))));
    assert_eq!(problems.len(), 3, "{problems:?}");

    // A payment billed at the carrier that the gateway never recorded; the same, cancelled, is
    // a reversal and no problem.
    let f = tampered(&file, |mut ds| {
        ds.push("D|cbp_unknown|pi_unknown|skt|010****0001|5000|1768446000|charged|".into());
        ds.push("D|cbp_reversed|pi_x|skt|010****0001|5000|1768446000|canceled|1768446001".into());
        ds
    });
    assert_eq!(
        reconcile(&w, &f).await,
        (vec![("missing_at_gateway".to_string(), None)], 2)
    );
}
