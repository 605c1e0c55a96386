//! 휴대폰 소액결제 as operators run it: `paygate sim sms`, `paygate sim carrier` and `paygate
//! serve --test-clock --carrier-url … --sms-url …` as separate processes, the carrier page
//! driven with a plain HTTP client (forms, no script).
//!
//! - month end by the test clock (gateway and both simulators advanced together): a refund
//!   without `refund_account` is refused naming it; with one, the gateway's in-process bank
//!   simulator (on the same test clock) transfers it, journaled at the bank, posted, and both
//!   the carrier's settlement file and the bank's journal reconcile;
//! - a SIGKILL of the gateway between the carrier's approval and the commit
//!   (`PAYGATE_FAULT_DELAY_AFTER_AUTH_MS` widens that window): the restart's recovery cancels
//!   the charge at the carrier, the retry charges once, and `paygate reconcile
//!   --carrier-settlement` finds the carrier's file and the gateway in agreement.

mod common;

use common::test_clock::advance_everything_to;
use common::*;
use serde_json::Value;
use std::process::Command;
use std::time::{Duration, Instant};

const PHONE: &str = "01012345678";
/// Seconds of the KST offset.
const KST: i64 = 9 * 3600;
const DAY: i64 = 86_400;

/// The two simulators as separate processes on test clocks, and a merchant on a fresh gateway
/// data dir; [`Stack::serve`] starts `paygate serve` against them.
struct Stack {
    dir: tempfile::TempDir,
    sms: Proc,
    carrier: Proc,
    carrier_dir: String,
    data: String,
    merchant: String,
    sk: String,
    listen: String,
    http: reqwest::Client,
}

fn sim(dir: &std::path::Path, name: &str, extra: &[&str]) -> Proc {
    let data = dir.join(name);
    let args = [
        "sim",
        name,
        "--listen",
        "127.0.0.1:0",
        "--data-dir",
        data.to_str().unwrap(),
        "--admin-listen",
        "127.0.0.1:0",
        "--test-clock",
    ];
    let log = dir.join(format!("{name}.log"));
    spawn(
        &[&args[..], extra].concat(),
        &[],
        &log,
        "admin listening on",
    )
}

fn url(p: &Proc, prefix: &str) -> String {
    format!("http://{}", printed(p, prefix))
}

impl Stack {
    fn start() -> Stack {
        let dir = tempfile::tempdir().unwrap();
        let sms = sim(dir.path(), "sms", &[]);
        let carrier = sim(
            dir.path(),
            "carrier",
            &["--sms-url", &url(&sms, "listening on")],
        );
        let data = dir.path().join("gw").to_str().unwrap().to_string();
        let (merchant, sk) = common::merchant(&data);
        Stack {
            carrier_dir: dir.path().join("carrier").to_str().unwrap().to_string(),
            listen: format!("127.0.0.1:{}", free_port()),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            dir,
            sms,
            carrier,
            data,
            merchant,
            sk,
        }
    }

    fn base(&self) -> String {
        format!("http://{}", self.listen)
    }

    /// `paygate serve --test-clock` against the simulators, with `env`; its log is `log`.
    fn serve(&self, env: &[(&str, &str)], log: &str) -> Proc {
        let (carrier, sms) = (
            url(&self.carrier, "listening on"),
            url(&self.sms, "listening on"),
        );
        let args = [
            "serve",
            "--data-dir",
            &self.data,
            "--listen",
            &self.listen,
            "--metrics-listen",
            "127.0.0.1:0",
            "--test-clock",
            "--carrier-url",
            &carrier,
            "--sms-url",
            &sms,
        ];
        spawn(&args, env, &self.dir.path().join(log), "listening on")
    }

    async fn api(&self, path: &str, form: &[(&str, &str)]) -> (u16, Value) {
        let r = self
            .http
            .post(format!("{}{path}", self.base()))
            .bearer_auth(&self.sk)
            .form(form)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }

    async fn intent(&self, id: &str) -> Value {
        let r = self
            .http
            .get(format!("{}/v1/payment_intents/{id}", self.base()))
            .bearer_auth(&self.sk)
            .send()
            .await
            .unwrap();
        r.json().await.unwrap()
    }

    /// The carrier page's URL of a confirmed intent (`requires_action`).
    fn page_url(pi: &Value) -> String {
        assert_eq!(pi["status"], "requires_action", "{pi}");
        pi["next_action"]["redirect_to_url"]["url"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// Opens the page, asks for a code; returns (form action, token, code received by SMS).
    async fn start_page(&self, page: &str) -> (String, String, String) {
        let html = self
            .http
            .get(page)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let t = hidden(&html, "t");
        let action = page.split('?').next().unwrap().to_string();
        let form = [
            ("t", t.as_str()),
            ("step", "start"),
            ("carrier", "skt"),
            ("phone", PHONE),
            ("birth_date", "19900101"),
            ("consent", "yes"),
        ];
        let r = self.http.post(&action).form(&form).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 200, "{}", r.text().await.unwrap());
        let inbox = format!(
            "{}/v1/messages?phone={PHONE}",
            url(&self.sms, "listening on")
        );
        let v: Value = self
            .http
            .get(inbox)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let body = v["data"][0]["body"].as_str().unwrap().to_string();
        let at = body.find("인증번호 ").unwrap() + "인증번호 ".len();
        (action, t, body[at..at + 6].to_string())
    }

    /// Confirms `pi` (a new intent when `None`) and pays it through the page; returns its id.
    async fn pay(&self, existing: Option<&str>) -> String {
        let form = [
            ("amount", "12000"),
            ("currency", "krw"),
            ("payment_method_types[]", "mobile_carrier"),
            ("payment_method_data[type]", "mobile_carrier"),
            ("confirm", "true"),
            ("return_url", "https://shop.example/back"),
        ];
        let (s, pi) = match existing {
            None => self.api("/v1/payment_intents", &form).await,
            Some(id) => {
                let path = format!("/v1/payment_intents/{id}/confirm");
                self.api(&path, &[form[3], form[5]]).await
            }
        };
        assert_eq!(s, 200, "{pi}");
        let (action, t, code) = self.start_page(&Stack::page_url(&pi)).await;
        let form = [("t", t.as_str()), ("step", "otp"), ("otp", code.as_str())];
        let r = self.http.post(&action).form(&form).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 303);
        pi["id"].as_str().unwrap().to_string()
    }

    fn journal(&self) -> Vec<Value> {
        let args = [
            "sim",
            "carrier",
            "journal",
            "--data-dir",
            &self.carrier_dir,
            "--json",
        ];
        let out = Command::new(BIN).args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<Value>(&out.stdout)
            .unwrap()
            .as_array()
            .cloned()
            .unwrap()
    }

    /// `paygate reconcile --carrier-settlement` with the carrier's file of `month` (YYYY-MM).
    fn reconcile_carrier(&self, month: &str) -> (bool, String) {
        let file = self.dir.path().join(format!("settlement-{month}.txt"));
        let out = Command::new(BIN)
            .args([
                "sim",
                "carrier",
                "settlement",
                "--data-dir",
                &self.carrier_dir,
            ])
            .args(["--merchant", &self.merchant, "--month", month])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::write(&file, &out.stdout).unwrap();
        let file = file.to_str().unwrap();
        cli(&[
            "reconcile",
            "--data-dir",
            &self.data,
            "--carrier-settlement",
            file,
        ])
    }

    fn events(&self) -> Vec<String> {
        self.journal()
            .iter()
            .map(|e| e["event"].as_str().unwrap().to_string())
            .collect()
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

/// `YYYY-MM` of the KST date of Unix second `t`.
fn kst_month(t: i64) -> String {
    let d = time::OffsetDateTime::from_unix_timestamp(t + KST).unwrap();
    format!("{:04}-{:02}", d.year(), u8::from(d.month()))
}

/// 00:00 KST of the first day of the month after the KST month of `t`.
fn next_kst_month(t: i64) -> i64 {
    let month = kst_month(t);
    let mut day = (t + KST).div_euclid(DAY) * DAY - KST;
    while kst_month(day) == month {
        day += DAY;
    }
    day
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_the_month_end_on_the_test_clock_the_refund_is_a_bank_transfer() {
    let st = Stack::start();
    let _gw = st.serve(&[], "gw.log");
    let pi = st.pay(None).await;
    let doc = st.intent(&pi).await;
    assert_eq!(doc["status"], "succeeded", "{doc}");
    let ch = doc["latest_charge"].as_str().unwrap().to_string();

    let month_end = next_kst_month(doc["created"].as_i64().unwrap()) + 60;
    let admins = [
        url(&st.sms, "admin listening on"),
        url(&st.carrier, "admin listening on"),
    ];
    let admins: Vec<&str> = admins.iter().map(String::as_str).collect();
    advance_everything_to(&st.base(), &st.sk, &admins, month_end).await;
    let (s, e) = st.api("/v1/refunds", &[("charge", &ch)]).await;
    assert_eq!(s, 400, "{e}");
    assert_eq!(
        e["error"]["code"], "charge_not_refundable_after_month_end",
        "{e}"
    );
    assert_eq!(e["error"]["param"], "refund_account", "{e}");
    let to_account = [
        ("charge", ch.as_str()),
        ("refund_account[bank_code]", "088"),
        ("refund_account[account_number]", "110-123-456789"),
        ("refund_account[holder_name]", "김철수"),
    ];
    let (s, re) = st.api("/v1/refunds", &to_account).await;
    assert_eq!(s, 200, "{re}");
    assert_eq!(re["status"], "succeeded", "{re}");
    assert_eq!(re["amount"], 12000, "{re}");
    assert_eq!(
        re["destination_details"]["type"], "kr_bank_transfer",
        "{re}"
    );
    // The carrier was never asked: its bill of last month is closed, and still charged.
    assert_eq!(st.events(), ["code_sent", "verified", "charged"]);
    let doc = st.intent(&pi).await;
    assert_eq!(doc["status"], "succeeded", "{doc}");

    // The bank (in process, on the gateway's test clock) journaled the transfer that day.
    let bank_dir = format!("{}/bank-sim", st.data);
    let (ok, out) = cli(&["sim", "bank", "journal", "--data-dir", &bank_dir, "--json"]);
    assert!(ok, "{out}");
    let journal: Value = serde_json::from_str(&out).unwrap();
    let transfers: Vec<&Value> = journal
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["event"] == "transfer")
        .collect();
    assert_eq!(transfers.len(), 1, "{journal}");
    assert_eq!(transfers[0]["reference"], re["id"], "{journal}");
    assert_eq!(transfers[0]["amount"], 12000, "{journal}");
    assert!(
        transfers[0]["at"].as_i64().unwrap() >= month_end,
        "{journal}"
    );
    let (ok, out) = cli(&["ledger", "verify", "--data-dir", &st.data]);
    assert!(ok, "{out}");
    let (ok, out) = cli(&[
        "reconcile",
        "--data-dir",
        &st.data,
        "--bank-journal",
        &bank_dir,
    ]);
    assert!(ok, "{out}");
    assert!(out.contains("1 transfers, 0 debits, 1 matched"), "{out}");
    let month = kst_month(doc["created"].as_i64().unwrap());
    let (ok, out) = st.reconcile_carrier(&month);
    assert!(ok, "{out}");
    assert!(out.contains("1 matched"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_killed_after_the_carrier_charged_cancels_it_on_restart_and_the_retry_charges_once()
 {
    let st = Stack::start();
    let gw = st.serve(&[("PAYGATE_FAULT_DELAY_AFTER_AUTH_MS", "30000")], "gw1.log");
    let form = [
        ("amount", "12000"),
        ("currency", "krw"),
        ("payment_method_types[]", "mobile_carrier"),
        ("payment_method_data[type]", "mobile_carrier"),
        ("confirm", "true"),
        ("return_url", "https://shop.example/back"),
    ];
    let (s, pi) = st.api("/v1/payment_intents", &form).await;
    assert_eq!(s, 200, "{pi}");
    let id = pi["id"].as_str().unwrap().to_string();
    let (action, t, code) = st.start_page(&Stack::page_url(&pi)).await;
    let req = tokio::spawn({
        let (http, action) = (st.http.clone(), action.clone());
        async move {
            let form = [("t", t.as_str()), ("step", "otp"), ("otp", code.as_str())];
            http.post(&action).form(&form).send().await
        }
    });
    // Wait until the carrier charged the bill, then SIGKILL the gateway before it commits.
    let t0 = Instant::now();
    while !st.events().iter().any(|e| e == "charged") {
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "the carrier never charged"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let pid = gw.child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-KILL", &pid])
            .status()
            .unwrap()
            .success()
    );
    drop(gw);
    assert!(
        req.await.unwrap().is_err(),
        "the payer saw the connection die"
    );

    // The restart recovers the attempt: the charge is cancelled at the carrier.
    let _gw2 = st.serve(&[], "gw2.log");
    assert_eq!(
        st.events(),
        ["code_sent", "verified", "charged", "canceled"]
    );
    let after = st.intent(&id).await;
    assert_eq!(
        after["status"], "requires_payment_method",
        "retryable: {after}"
    );
    assert!(after["latest_charge"].is_null(), "{after}");

    // The retry: confirmed again, paid once.
    st.pay(Some(&id)).await;
    let done = st.intent(&id).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    let charged: Vec<Value> = st
        .journal()
        .into_iter()
        .filter(|e| e["event"] == "charged")
        .collect();
    assert_eq!(charged.len(), 2, "one cancelled, one kept: {charged:?}");
    let (ok, out) = cli(&["ledger", "verify", "--data-dir", &st.data]);
    assert!(ok, "{out}");

    // The carrier's settlement file and the gateway agree.
    let month = kst_month(done["created"].as_i64().unwrap());
    let (ok, out) = st.reconcile_carrier(&month);
    assert!(ok, "{out}");
    assert!(
        out.contains("1 matched, 1 reversed before being recorded"),
        "{out}"
    );
}
