//! A browser for the 3-D Secure tests: follows `next_action`, reads the forms of the pages
//! (the gateway's auto-post, the ACS's password page, the ACS's CRes auto-post) and submits
//! them like a browser without JavaScript would, never following redirects by itself.
#![allow(dead_code)]

use crate::support::TestApp;
use reqwest::StatusCode;
use serde_json::Value;

/// Where the shop's customers come back.
pub const RETURN_URL: &str = "https://shop.example/return?order=7";

/// A form read from a page: its action and hidden fields (HTML entities decoded).
#[derive(Debug, Clone)]
pub struct Form {
    pub action: String,
    pub hidden: Vec<(String, String)>,
}

impl Form {
    pub fn read(page: &str) -> Form {
        let start = page.find("<form").expect("a form");
        let end = page[start..]
            .find("</form>")
            .map_or(page.len(), |e| start + e);
        let form = &page[start..end];
        let action = attr(form, "action").expect("form action");
        let mut hidden = Vec::new();
        for input in form.split("<input").skip(1) {
            let tag = &input[..input.find('>').expect("input closes")];
            if attr(tag, "type").as_deref() == Some("hidden") {
                hidden.push((
                    attr(tag, "name").expect("name"),
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

    pub fn set(&mut self, name: &str, value: &str) {
        match self.hidden.iter_mut().find(|(k, _)| k == name) {
            Some(f) => f.1 = value.to_string(),
            None => self.hidden.push((name.into(), value.into())),
        }
    }
}

fn attr(tag: &str, name: &str) -> Option<String> {
    let needle = format!(" {name}=\"");
    let at = tag.find(&needle)? + needle.len();
    let end = tag[at..].find('"')? + at;
    Some(
        tag[at..end]
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&"),
    )
}

/// A browser: no redirects followed, Korean preferred.
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// What a form submission answered.
pub struct Answer {
    pub status: StatusCode,
    pub location: Option<String>,
    pub body: String,
}

pub async fn submit(b: &reqwest::Client, form: &Form, extra: &[(&str, &str)]) -> Answer {
    let mut fields: Vec<(&str, &str)> = form
        .hidden
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    fields.extend_from_slice(extra);
    let resp = b
        .post(&form.action)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept-language", "ko-KR")
        .body(crate::support::url_encode(&fields))
        .send()
        .await
        .expect("form post");
    answer(resp).await
}

async fn answer(resp: reqwest::Response) -> Answer {
    let status = resp.status();
    let location = resp
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    Answer {
        status,
        location,
        body: resp.text().await.expect("body"),
    }
}

/// Opens the intent's `next_action` URL: the gateway's auto-post page to the ACS.
pub async fn open_next_action(b: &reqwest::Client, pi: &Value) -> Form {
    let url = pi["next_action"]["redirect_to_url"]["url"]
        .as_str()
        .unwrap_or_else(|| panic!("a redirect next_action: {pi}"));
    let resp = b.get(url).send().await.expect("start page");
    let a = answer(resp).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    Form::read(&a.body)
}

/// Runs the challenge: the hand-off to the ACS, one password per try until the ACS answers
/// with its CRes page; returns that page's form (posting to the notificationURL).
pub async fn challenge(b: &reqwest::Client, pi: &Value, passwords: &[&str]) -> Form {
    let handoff = open_next_action(b, pi).await;
    challenge_from(b, &handoff, passwords).await
}

/// The ACS's first challenge page (the password form), reached through `handoff`.
pub async fn acs_page(b: &reqwest::Client, handoff: &Form) -> Answer {
    assert!(handoff.field("creq").is_some(), "{handoff:?}");
    let page = submit(b, handoff, &[]).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    page
}

/// [`challenge`] from a hand-off page opened earlier (a payer with an old tab).
pub async fn challenge_from(b: &reqwest::Client, handoff: &Form, passwords: &[&str]) -> Form {
    let mut page = acs_page(b, handoff).await;
    for pw in passwords {
        assert!(page.body.contains("name=\"password\""), "{}", page.body);
        let form = Form::read(&page.body);
        page = submit(b, &form, &[("password", pw), ("action", "submit")]).await;
        if page.body.contains("cres-form") {
            break;
        }
    }
    assert!(page.body.contains("cres-form"), "{}", page.body);
    Form::read(&page.body)
}

/// The DS + ACS simulator's journal: one entry per transaction, in arrival order.
pub fn acs_journal(app: &TestApp) -> Vec<paygate_sim_threeds::JournalEntry> {
    paygate_sim_threeds::journal(&app.dir.path().join("3ds-sim")).expect("3-D Secure journal")
}

/// Posts `body` to the gateway's RReq endpoint as the DS would; returns its JSON answer.
pub async fn post_rreq(app: &TestApp, body: String) -> Value {
    let r = app
        .client
        .post(format!("{}/pay/3ds/rreq", app.base))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("RReq post");
    assert_eq!(r.status(), StatusCode::OK);
    r.json::<Value>().await.expect("RRes or Erro")
}

/// A well-formed RReq of `entry`'s transaction, saying the payer authenticated.
pub fn rreq_of(entry: &paygate_sim_threeds::JournalEntry) -> String {
    serde_json::json!({
        "messageType": "RReq", "messageVersion": "2.2.0",
        "threeDSServerTransID": entry.three_ds_server_trans_id,
        "dsTransID": entry.ds_trans_id,
        "acsTransID": entry.acs_trans_id,
        "messageCategory": "01", "transStatus": "Y", "eci": "05",
        "authenticationValue": "AAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        "authenticationType": "01", "interactionCounter": "01"
    })
    .to_string()
}

/// Creates and confirms a KRW payment of `pan` that may need 3-D Secure.
pub async fn pay(
    app: &TestApp,
    pan: &str,
    request: Option<&str>,
    amount: i64,
) -> (StatusCode, Value) {
    let mut extra = vec![("return_url", RETURN_URL)];
    if let Some(r) = request {
        extra.push(("payment_method_options[card][request_three_d_secure]", r));
    }
    app.pay(pan, amount, &extra).await
}

/// The intent with its latest charge expanded.
pub async fn intent(app: &TestApp, id: &str) -> Value {
    let (s, v) = app
        .get(&format!("/v1/payment_intents/{id}?expand[]=latest_charge"))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v
}

/// The network simulator's journal entry of a charge.
pub fn journal_of(app: &TestApp, charge: &Value) -> Value {
    let rrn = charge["payment_method_details"]["card"]["network_transaction_id"]
        .as_str()
        .unwrap_or_else(|| panic!("an RRN: {charge}"));
    app.journal_by_rrn(rrn)
}

/// How many charges the merchant has.
pub async fn charge_count(app: &TestApp) -> usize {
    let (_, v) = app.get("/v1/charges?limit=100").await;
    v["data"].as_array().map_or(0, Vec::len)
}
