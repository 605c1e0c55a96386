//! The gateway on PostgreSQL, with two gateway processes sharing one database.
//!
//! Uses `PAYGATE_TEST_DATABASE_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`) and
//! a fresh schema per test. Without a server the tests report themselves skipped, unless
//! `PAYGATE_REQUIRE_POSTGRES=1`, then they fail.

mod support;

use reqwest::StatusCode;
use std::time::Duration;
use support::{TestApp, VISA};

fn pg_url() -> Option<String> {
    let url = std::env::var("PAYGATE_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let reachable = std::net::TcpStream::connect_timeout(
        &pg_host_port(&url)
            .parse()
            .unwrap_or_else(|_| "127.0.0.1:5432".parse().unwrap()),
        Duration::from_secs(2),
    )
    .is_ok();
    if reachable {
        return Some(url);
    }
    assert!(
        std::env::var("PAYGATE_REQUIRE_POSTGRES").as_deref() != Ok("1"),
        "PAYGATE_REQUIRE_POSTGRES=1 but no PostgreSQL answers at {url}"
    );
    eprintln!("skipped: no PostgreSQL at {url}");
    None
}

fn pg_host_port(url: &str) -> String {
    let rest = url.split("://").nth(1).unwrap_or_default();
    let host = rest
        .rsplit('@')
        .next()
        .unwrap_or_default()
        .split('/')
        .next()
        .unwrap_or_default();
    if host.contains(':') {
        host.to_string()
    } else {
        format!("{host}:5432")
    }
}

fn schema() -> String {
    format!(
        "pgtest_{}",
        paygate_gateway::ids::random_base62(10).to_lowercase()
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payments_refunds_and_idempotency_work_on_postgres() {
    let Some(url) = pg_url() else { return };
    let schema = schema();
    let app = TestApp::spawn_with(|c| {
        c.database_url = Some(url);
        c.database_schema = Some(schema);
    })
    .await;
    assert_eq!(app.server.state.store.backend_name(), "postgres");
    let (s, pi) = app.pay(VISA, 10_000, &[]).await;
    assert_eq!(s, StatusCode::OK, "{pi}");
    assert_eq!(pi["status"], "succeeded");
    let (s, re) = app
        .post(
            "/v1/refunds",
            &[
                ("payment_intent", pi["id"].as_str().unwrap()),
                ("amount", "4000"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{re}");
    let form = [
        ("amount", "3000"),
        ("currency", "krw"),
        ("confirm", "true"),
        ("payment_method", "pm_card_visa"),
    ];
    let (_, a) = app.post_idem("/v1/payment_intents", &form, "pg-1").await;
    let (_, b) = app.post_idem("/v1/payment_intents", &form, "pg-1").await;
    assert_eq!(a, b);
    let (available, pending) = app.balance().await;
    assert_eq!(available + pending, 10_000 - 290 - 4_000 + 3_000 - 87);
    assert!(app.ledger_problems().await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_gateways_share_one_database_without_double_delivery() {
    let Some(url) = pg_url() else { return };
    let schema = schema();
    let (u1, s1) = (url.clone(), schema.clone());
    let a = TestApp::spawn_with(move |c| {
        c.database_url = Some(u1);
        c.database_schema = Some(s1);
        c.node_id = "node-a".into();
    })
    .await;
    // The second process: same database, its own node id and simulator, the first one's keys.
    let mut cfg = a.server.state.cfg.clone();
    cfg.node_id = "node-b".into();
    cfg.listen = "127.0.0.1:0".into();
    cfg.data_dir = a.dir.path().join("node-b");
    cfg.vault_keks = Vec::new();
    std::fs::create_dir_all(&cfg.data_dir).unwrap();
    std::fs::copy(
        a.dir.path().join("vault-keys.json"),
        cfg.data_dir.join("vault-keys.json"),
    )
    .unwrap();
    let b = paygate_gateway::start(cfg).await.expect("second gateway");
    let b_base = format!("http://{}", b.addr);

    let received = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let r = received.clone();
    let hook = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |body: axum::body::Bytes| {
            let r = r.clone();
            async move {
                let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
                r.lock()
                    .unwrap()
                    .push(v["id"].as_str().unwrap().to_string());
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, hook).await.unwrap() });
    let (s, _) = a
        .post(
            "/v1/webhook_endpoints",
            &[("url", &url), ("enabled_events[]", "*")],
        )
        .await;
    assert_eq!(s, StatusCode::OK);

    let client = reqwest::Client::new();
    for i in 0..10 {
        let base = if i % 2 == 0 { &a.base } else { &b_base };
        let r = client
            .post(format!("{base}/v1/customers"))
            .bearer_auth(&a.key)
            .form(&[("name", format!("c{i}"))])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
    }
    // A payment through B is visible through A.
    let r = client
        .post(format!("{b_base}/v1/payment_intents"))
        .bearer_auth(&a.key)
        .form(&[
            ("amount", "1000"),
            ("currency", "krw"),
            ("confirm", "true"),
            ("payment_method", "pm_card_visa"),
        ])
        .send()
        .await
        .unwrap();
    let pi: serde_json::Value = r.json().await.unwrap();
    let (s, again) = a
        .get(&format!(
            "/v1/payment_intents/{}",
            pi["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(again["status"], "succeeded");

    let (_, events) = a.get("/v1/events?limit=100").await;
    let expected = events["data"].as_array().unwrap().len();
    for _ in 0..100 {
        if received.lock().unwrap().len() >= expected {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut got = received.lock().unwrap().clone();
    assert_eq!(got.len(), expected, "every event delivered once");
    got.sort();
    got.dedup();
    assert_eq!(got.len(), expected, "no event delivered twice");
    b.shutdown().await;
}

/// `GET /v1/events/stream` on PostgreSQL: an event whose transaction commits after a
/// later-numbered event's is still sent, first. The stream opens (and reads) after the later
/// event committed while the earlier one's transaction is open, then gets both in commit
/// order once it commits, resuming after the event the client named.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_event_stream_sends_an_event_that_commits_late() {
    let Some(url) = pg_url() else { return };
    let schema = schema();
    let (u, s) = (url.clone(), schema.clone());
    let app = TestApp::spawn_with(move |c| {
        c.database_url = Some(u);
        c.database_schema = Some(s);
    })
    .await;
    let (status, _) = app.post("/v1/customers", &[("name", "First")]).await;
    assert_eq!(status, StatusCode::OK);
    let (_, newest) = app.get("/v1/events?limit=1").await;
    let start = newest["data"][0]["id"].as_str().unwrap().to_string();

    // Another writer takes the next record number and has not committed yet.
    let (raw, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    raw.batch_execute(&format!("SET search_path TO \"{schema}\"; BEGIN"))
        .await
        .unwrap();
    let late = "evt_commitslate";
    let doc = serde_json::json!({"id": late, "object": "event", "type": "customer.updated",
        "created": 1, "livemode": false, "data": {"object": {}}})
    .to_string();
    raw.execute(
        "INSERT INTO objects (id, merchant_id, livemode, kind, tag, created, version, data) \
         VALUES ($1, $2, FALSE, 'event', 'customer.updated', 1, 1, $3)",
        &[&late, &app.merchant, &doc],
    )
    .await
    .unwrap();
    // A later event commits meanwhile, then a stream opens after `start` and reads.
    let (status, _) = app.post("/v1/customers", &[("name", "Second")]).await;
    assert_eq!(status, StatusCode::OK);
    let mut resp = app
        .client
        .get(format!("{}/v1/events/stream", app.base))
        .bearer_auth(&app.key)
        .header("last-event-id", &start)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    raw.batch_execute("COMMIT").await.unwrap();

    let mut text = String::new();
    let ids_in = |t: &str| t.lines().filter(|l| l.starts_with("id: ")).count();
    while ids_in(&text) < 3 || !text.ends_with("\n\n") {
        let chunk = tokio::time::timeout(Duration::from_secs(60), resp.chunk())
            .await
            .expect("the stream sends both events")
            .unwrap()
            .expect("the stream stays open");
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    let ids: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("id: "))
        .collect();
    let types: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("event: "))
        .collect();
    assert_eq!(ids[0], start, "the opening message names the start");
    assert_eq!(ids[1], late, "{text}");
    assert_eq!(types, ["customer.updated", "customer.created"], "{text}");
}
