//! The SMS simulator over HTTP: send, inbox newest first, refusals naming the field, and the
//! journal surviving a restart.

use paygate_sim_sms::{Config, start};
use serde_json::{Value, json};

async fn sim(dir: &std::path::Path) -> paygate_sim_sms::Running {
    start(Config::new("127.0.0.1:0".parse().unwrap(), dir))
        .await
        .unwrap()
}

#[tokio::test]
async fn messages_are_journaled_and_read_newest_first() {
    let dir = tempfile::tempdir().unwrap();
    let running = sim(dir.path()).await;
    let http = reqwest::Client::new();
    let url = format!("{}/v1/messages", running.base_url());
    for body in ["first 111111", "second 222222"] {
        let r = http
            .post(&url)
            .json(&json!({"phone": "010-1234-5678", "body": body, "sender": "paygate"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 202);
        let v: Value = r.json().await.unwrap();
        assert!(v["id"].as_str().unwrap().starts_with("sms_"));
    }
    let other = json!({"phone": "01099998888", "body": "x", "sender": "paygate"});
    assert_eq!(
        http.post(&url).json(&other).send().await.unwrap().status(),
        202
    );
    let inbox: Value = http
        .get(format!("{url}?phone=01012345678"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let data = inbox["data"].as_array().unwrap();
    assert_eq!(data.len(), 2);
    assert_eq!(data[0]["body"], "second 222222");
    assert_eq!(data[1]["body"], "first 111111");
    assert_eq!(data[0]["phone"], "01012345678");

    let bad = http
        .post(&url)
        .json(&json!({"phone": "12", "body": "x", "sender": "p"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let v: Value = bad.json().await.unwrap();
    assert_eq!(v["error"]["param"], "phone");
    let empty = json!({"phone": "01012345678", "body": "", "sender": "p"});
    let v: Value = http
        .post(&url)
        .json(&empty)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["error"]["param"], "body");

    running.shutdown().await.unwrap();
    let journal = paygate_sim_sms::journal(dir.path()).unwrap();
    assert_eq!(journal.len(), 3);
    assert_eq!(journal[0].body, "first 111111");
    let again = sim(dir.path()).await;
    let inbox: Value = http
        .get(format!(
            "{}/v1/messages?phone=01012345678",
            again.base_url()
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(inbox["data"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn an_injected_decline_is_undeliverable_and_journals_nothing_until_healed() {
    let dir = tempfile::tempdir().unwrap();
    let mut running = sim(dir.path()).await;
    let admin = running
        .serve_admin("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let faults = format!("http://{admin}/faults");
    let set = http.post(&faults).json(&json!({"decline_pct": 100})).send();
    assert_eq!(set.await.unwrap().status(), 200);
    let url = format!("{}/v1/messages", running.base_url());
    let msg = json!({"phone": "01012345678", "body": "code 123456", "sender": "paygate"});
    let r = http.post(&url).json(&msg).send().await.unwrap();
    assert_eq!(r.status(), 503);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"]["code"], "undeliverable");
    assert!(paygate_sim_sms::journal(dir.path()).unwrap().is_empty());
    let heal = http.post(&faults).json(&json!({})).send();
    assert_eq!(heal.await.unwrap().status(), 200);
    let r = http.post(&url).json(&msg).send().await.unwrap();
    assert_eq!(r.status(), 202);
    assert_eq!(paygate_sim_sms::journal(dir.path()).unwrap().len(), 1);
}
