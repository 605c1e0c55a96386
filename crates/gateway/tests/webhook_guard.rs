//! The webhook SSRF guard (live mode reaches public addresses only, checked on the resolved
//! addresses at creation and again on every connection) and sealed signing secrets.

mod support;

use axum::Router;
use axum::body::Bytes;
use axum::http::HeaderMap;
use axum::routing::post;
use hmac::{Hmac, KeyInit, Mac};
use paygate_gateway::webhooks::{Resolve, Resolving};
use reqwest::StatusCode;
use sha2::Sha256;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::TestApp;

/// A resolver the test controls: a name resolves to what the table says right now.
#[derive(Default)]
struct FakeDns(Mutex<HashMap<String, Vec<IpAddr>>>);

impl FakeDns {
    fn point(&self, name: &str, ips: &[&str]) {
        let ips = ips.iter().map(|i| i.parse().unwrap()).collect();
        self.0.lock().unwrap().insert(name.to_string(), ips);
    }
}

impl Resolve for FakeDns {
    fn resolve(&self, host: &str) -> Resolving {
        let found = self.0.lock().unwrap().get(host).cloned();
        Box::pin(async move {
            found.ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, "no such host"))
        })
    }
}

async fn with_fake_dns() -> (TestApp, Arc<FakeDns>, String) {
    let app = TestApp::spawn().await;
    let dns = Arc::new(FakeDns::default());
    app.server.state.webhook_dns.set(dns.clone());
    let (live, _) =
        paygate_gateway::admin::create_key(&app.server.state.store, &app.merchant, true, true)
            .await
            .unwrap();
    (app, dns, live)
}

async fn create_endpoint(app: &TestApp, key: &str, url: &str) -> (StatusCode, serde_json::Value) {
    app.post_as(
        key,
        "/v1/webhook_endpoints",
        &[("url", url), ("enabled_events[]", "*")],
        None,
    )
    .await
}

#[tokio::test]
async fn live_mode_refuses_names_and_literals_that_reach_private_addresses() {
    let (app, dns, live) = with_fake_dns().await;
    dns.point("metadata.example", &["169.254.169.254"]);
    dns.point("loop.example", &["127.0.0.1"]);
    dns.point("ten.example", &["10.0.0.7"]);
    dns.point("v6loop.example", &["::1"]);
    dns.point("ula.example", &["fc00::5"]);
    dns.point("linklocal6.example", &["fe80::1"]);
    dns.point("mixed.example", &["93.184.215.14", "192.168.1.9"]);
    dns.point("hooks.example.com", &["93.184.215.14"]);
    for url in [
        "https://localhost.:8443/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://[::ffff:a9fe:a9fe]/hook",
        "https://metadata.example/hook",
        "https://loop.example/hook",
        "https://ten.example/hook",
        "https://v6loop.example/hook",
        "https://ula.example/hook",
        "https://linklocal6.example/hook",
        "https://mixed.example/hook",
    ] {
        let (s, e) = create_endpoint(&app, &live, url).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{url}: {e}");
        assert_eq!(e["error"]["param"], "url", "{url}");
    }
    let (s, e) = create_endpoint(&app, &live, "https://hooks.example.com/hook").await;
    assert_eq!(s, StatusCode::OK, "{e}");
    // Test mode keeps allowing receivers on this machine.
    let (s, e) = create_endpoint(&app, &app.key, "http://loop.example:9/hook").await;
    assert_eq!(s, StatusCode::OK, "{e}");
}

#[tokio::test]
async fn a_name_that_starts_resolving_privately_is_refused_at_delivery_without_connecting() {
    let (app, dns, live) = with_fake_dns().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = Arc::new(AtomicUsize::new(0));
    let a = accepted.clone();
    tokio::spawn(async move {
        while listener.accept().await.is_ok() {
            a.fetch_add(1, Ordering::SeqCst);
        }
    });
    dns.point("rebind.example", &["93.184.215.14"]);
    let url = format!("https://rebind.example:{port}/hook");
    let (s, e) = create_endpoint(&app, &live, &url).await;
    assert_eq!(s, StatusCode::OK, "{e}");
    // The name now points at this machine.
    dns.point("rebind.example", &["127.0.0.1"]);
    let (s, _) = app
        .post_as(&live, "/v1/customers", &[("name", "Rebind")], None)
        .await;
    assert_eq!(s, StatusCode::OK);
    let (_, evs) = app.get_as(&live, "/v1/events?type=customer.created").await;
    let event_id = evs["data"][0]["id"].as_str().unwrap().to_string();
    let path = format!("/v1/events/{event_id}/delivery_attempts");
    let mut attempts = serde_json::Value::Null;
    for _ in 0..100 {
        attempts = app.get_as(&live, &path).await.1;
        if attempts["data"].as_array().is_some_and(|d| !d.is_empty()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let error = attempts["data"][0]["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("127.0.0.1") && error.contains("loopback"),
        "{attempts}"
    );
    assert!(attempts["data"][0]["status_code"].is_null());
    assert_eq!(accepted.load(Ordering::SeqCst), 0, "nothing connected");
}

type Received = Arc<Mutex<Vec<(String, Bytes)>>>;

async fn receiver() -> (u16, Received) {
    let got: Received = Arc::default();
    let g = got.clone();
    let app = Router::new().route(
        "/hook",
        post(move |headers: HeaderMap, body: Bytes| {
            let g = g.clone();
            async move {
                let sig = headers["stripe-signature"].to_str().unwrap().to_string();
                g.lock().unwrap().push((sig, body));
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (port, got)
}

fn verifies(secret: &str, header: &str, body: &[u8]) -> bool {
    let t = header
        .split(',')
        .find_map(|p| p.strip_prefix("t="))
        .unwrap();
    let v1 = header
        .split(',')
        .find_map(|p| p.strip_prefix("v1="))
        .unwrap();
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.").as_bytes());
    mac.update(body);
    hex::encode(mac.finalize().into_bytes()) == v1
}

async fn wait_for(got: &Received, n: usize) -> Vec<(String, Bytes)> {
    for _ in 0..100 {
        if got.lock().unwrap().len() >= n {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    got.lock().unwrap().clone()
}

/// Every byte of the database files (main file and write-ahead log).
fn database_bytes(app: &TestApp) -> Vec<u8> {
    let mut all = Vec::new();
    for name in ["paygate.db", "paygate.db-wal"] {
        if let Ok(b) = std::fs::read(app.dir.path().join(name)) {
            all.extend(b);
        }
    }
    all
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn webhook_secrets_are_stored_sealed_and_deliveries_still_verify() {
    let (app, dns, _) = with_fake_dns().await;
    let (port, got) = receiver().await;
    // The connection goes where the (test) resolver says.
    dns.point("receiver.example", &["127.0.0.1"]);
    let url = format!("http://receiver.example:{port}/hook");
    let (s, we) = app
        .post_idem(
            "/v1/webhook_endpoints",
            &[("url", &url), ("enabled_events[]", "customer.created")],
            "create-endpoint-1",
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{we}");
    let secret = we["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("whsec_"));
    assert!(
        !contains(&database_bytes(&app), b"whsec_"),
        "no clear secret stored"
    );
    let (s, _) = app.post("/v1/customers", &[("name", "Park")]).await;
    assert_eq!(s, StatusCode::OK);
    let d = wait_for(&got, 1).await;
    assert_eq!(d.len(), 1);
    assert!(verifies(&secret, &d[0].0, &d[0].1), "signature verifies");
    let (_, again) = app
        .get(&format!(
            "/v1/webhook_endpoints/{}",
            we["id"].as_str().unwrap()
        ))
        .await;
    assert!(again.get("secret").is_none() && again.get("secret_sealed").is_none());
}

#[tokio::test]
async fn an_endpoint_stored_with_a_clear_secret_keeps_signing_and_is_sealed_on_update() {
    let (app, _, _) = with_fake_dns().await;
    let (port, got) = receiver().await;
    let id = "we_legacyclear0001";
    let secret = "whsec_legacyLEGACYlegacy0123456789";
    let doc = serde_json::json!({
        "id": id, "object": "webhook_endpoint", "api_version": null, "application": null,
        "created": 1, "description": null, "enabled_events": ["customer.created"],
        "livemode": false, "metadata": {}, "status": "enabled",
        "url": format!("http://127.0.0.1:{port}/hook"), "secret": secret,
    });
    let scope = paygate_store::Scope {
        merchant_id: app.merchant.clone(),
        livemode: false,
    };
    let op = paygate_gateway::records::insert(&scope, "webhook_endpoint", None, &doc, 1);
    app.server
        .state
        .store
        .commit(paygate_store::WriteUnit { ops: vec![op] })
        .await
        .unwrap();
    app.post("/v1/customers", &[("name", "Choi")]).await;
    let d = wait_for(&got, 1).await;
    assert_eq!(d.len(), 1);
    assert!(
        verifies(secret, &d[0].0, &d[0].1),
        "the clear secret still signs"
    );
    let (s, e) = app
        .post(
            &format!("/v1/webhook_endpoints/{id}"),
            &[("description", "moved")],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{e}");
    assert!(e.get("secret").is_none());
    let store = &app.server.state.store;
    let row = store.get_object(&scope, id).await.unwrap().unwrap();
    assert!(row.data.get("secret").is_none(), "sealed on update");
    app.post("/v1/customers", &[("name", "Jung")]).await;
    let d = wait_for(&got, 2).await;
    assert_eq!(d.len(), 2);
    assert!(
        verifies(secret, &d[1].0, &d[1].1),
        "the sealed secret signs the same"
    );
}
