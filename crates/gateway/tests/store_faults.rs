//! A store that cannot write (issue 15 §1): the "fail next N commits" switch and a real full
//! disk (a small tmpfs) → `503 store_unavailable` with `Retry-After`, `/readyz` not ready with
//! the reason until a write succeeds, the authorization whose outcome could not be stored
//! reversed at the network within seconds (no restart), the client's retry paid once, the
//! ledger clean, and the failures logged once with a count instead of a flood.

mod support;

use reqwest::StatusCode;
use serde_json::Value;
use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};
use support::{TestApp, VISA};

/// Everything this test binary logs at WARN and above.
fn captured_log() -> Arc<Mutex<Vec<u8>>> {
    static LOG: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOG.get_or_init(|| {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let sink = buf.clone();
        tracing_subscriber::fmt()
            .with_ansi(false)
            .with_max_level(tracing::Level::WARN)
            .with_writer(move || Capture(sink.clone()))
            .init();
        buf
    })
    .clone()
}

struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn log_lines_with(log: &Arc<Mutex<Vec<u8>>>, needle: &str) -> Vec<String> {
    String::from_utf8_lossy(&log.lock().unwrap())
        .lines()
        .filter(|l| l.contains(needle))
        .map(str::to_string)
        .collect()
}

async fn readyz(app: &TestApp) -> (StatusCode, Value) {
    let r = app
        .client
        .get(format!("{}/readyz", app.base))
        .send()
        .await
        .unwrap();
    (r.status(), r.json().await.unwrap())
}

async fn set_faults(app: &TestApp, form: &[(&str, &str)]) -> Value {
    let (s, v) = app.post("/v1/test_helpers/faults", form).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v
}

/// Polls `check` every 50 ms for up to `within`; true once it holds.
async fn eventually<F, Fut>(within: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let until = Instant::now() + within;
    while Instant::now() < until {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

/// The network's authorization entries, newest last.
fn authorizations(app: &TestApp) -> Vec<Value> {
    let journal = paygate_sim_network::journal(&app.sim_dir()).expect("journal");
    let v = serde_json::to_value(journal).unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "authorization")
        .cloned()
        .collect()
}

#[tokio::test]
async fn an_outcome_the_store_cannot_take_is_503_unready_and_reversed_at_once() {
    let log = captured_log();
    // The sweep could not be what reverses: it runs every 10 minutes for records 10 minutes old.
    let app = TestApp::spawn_with(|c| {
        c.fault_delay_after_auth_ms = 1_000;
        c.sweep_interval_ms = 600_000;
        c.attempt_stale_s = 600;
    })
    .await;
    let (s, ready) = readyz(&app).await;
    assert_eq!(s, StatusCode::OK, "{ready}");
    assert_eq!(ready["store_writable"], true);

    let (_, pi) = app
        .post(
            "/v1/payment_intents",
            &[("amount", "5000"), ("currency", "krw")],
        )
        .await;
    let path = format!("/v1/payment_intents/{}", pi["id"].as_str().unwrap());
    let form: Vec<(&str, &str)> = support::card_payment_form(VISA, "5000")
        .into_iter()
        .filter(|(k, _)| k.starts_with("payment_method_data"))
        .collect();
    let confirm = {
        let (client, url, key) = (
            app.client.clone(),
            format!("{}{path}/confirm", app.base),
            app.key.clone(),
        );
        let body = support::url_encode(&form);
        tokio::spawn(async move {
            client
                .post(url)
                .bearer_auth(key)
                .header("content-type", "application/x-www-form-urlencoded")
                .header("Idempotency-Key", "confirm-once")
                .body(body)
                .send()
                .await
                .expect("confirm answered")
        })
    };
    let app_ref = &app;
    let path_ref = &path;
    assert!(
        eventually(Duration::from_secs(5), || async move {
            app_ref.get(path_ref).await.1["status"] == "processing"
        })
        .await,
        "the confirm reached the network"
    );
    // The outcome commit, the release of the key, 20 creates and 3 probes fail.
    let faults = set_faults(&app, &[("fail_next_commits", "25")]).await;
    assert_eq!(faults["fail_next_commits"], 25);

    let resp = confirm.await.unwrap();
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
    let retry_after = resp.headers().get("retry-after").cloned();
    let e: Value = resp.json().await.unwrap();
    assert_eq!(e["error"]["type"], "api_error", "{e}");
    assert_eq!(e["error"]["code"], "store_unavailable", "{e}");
    let retry_after: u64 = retry_after
        .expect("Retry-After on a 503")
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after >= 1);

    let (s, ready) = readyz(&app).await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "{ready}");
    assert_eq!(ready["store_writable"], false);
    assert!(
        ready["store_reason"]
            .as_str()
            .unwrap()
            .contains("injected write fault"),
        "{ready}"
    );
    let metrics = app.metrics_text().await;
    assert!(metrics.contains("paygate_store_writable 0"), "{metrics}");
    // Reads keep working; every mutating request is a 503 while the store cannot write.
    let (s, processing) = app.get(&path).await;
    assert_eq!(s, StatusCode::OK, "{processing}");
    for _ in 0..20 {
        let r = app
            .post_response(
                &app.key,
                "/v1/payment_intents",
                &[("amount", "1000"), ("currency", "krw")],
                None,
            )
            .await;
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(r.headers().contains_key("retry-after"));
    }

    // The approved authorization is reversed at the network without a restart.
    assert!(
        eventually(Duration::from_secs(5), || async {
            let auths = authorizations(&app);
            auths.len() == 1 && auths[0]["reversed"] == true
        })
        .await,
        "reversed at the network: {:?}",
        authorizations(&app)
    );
    // The probe finds the store writable again; the reverser finishes the record.
    assert!(
        eventually(Duration::from_secs(10), || async {
            readyz(&app).await.0 == StatusCode::OK
        })
        .await,
        "ready again: {:?}",
        readyz(&app).await
    );
    assert!(
        eventually(Duration::from_secs(10), || async {
            app.get(&path).await.1["status"] == "requires_payment_method"
        })
        .await,
        "the intent was given back: {}",
        app.get(&path).await.1
    );
    let (_, pi) = app.get(&path).await;
    assert_eq!(pi["last_payment_error"]["code"], "processing_error", "{pi}");
    assert!(
        app.server
            .state
            .store
            .attempts(None)
            .await
            .unwrap()
            .is_empty(),
        "no recovery record left"
    );
    assert!(
        eventually(Duration::from_secs(2), || async {
            let m = app.metrics_text().await;
            m.contains("paygate_store_writable 1") && m.contains("paygate_undo_in_hand 0")
        })
        .await,
        "{}",
        app.metrics_text().await
    );

    // The client's retry with the same key runs again and pays once.
    let (s, paid) = app
        .post_idem(&format!("{path}/confirm"), &form, "confirm-once")
        .await;
    assert_eq!(s, StatusCode::OK, "{paid}");
    assert_eq!(paid["status"], "succeeded");
    let auths = authorizations(&app);
    assert_eq!(auths.len(), 2, "{auths:?}");
    assert_eq!(auths[0]["reversed"], true);
    assert_eq!(auths[1]["reversed"], false);
    assert!(app.ledger_problems().await.is_empty());
    let (_, pending) = app.balance().await;
    assert!(
        pending > 0 && pending < 5_000,
        "one payment posted: {pending}"
    );
    let types = app.event_types().await;
    assert!(
        types.contains(&"payment_intent.payment_failed".to_string()),
        "{types:?}"
    );
    assert!(
        types.contains(&"payment_intent.succeeded".to_string()),
        "{types:?}"
    );

    // 25 failed commits (and 20 failed requests) here, 5 in the other test of this binary
    // that injects faults, which may run at the same time: the log limiter is per process, so
    // at most one "cannot write" and one "internal error" line per test — not one per failure —
    // and the recovery line carries the count.
    let injected = |needle: &str| -> Vec<String> {
        log_lines_with(&log, needle)
            .into_iter()
            .filter(|l| l.contains("injected write fault"))
            .collect()
    };
    let cannot = injected("store cannot write");
    assert!((1..=2).contains(&cannot.len()), "{cannot:?}");
    let internal = injected("internal error");
    assert!((1..=2).contains(&internal.len()), "{internal:?}");
    let again: Vec<String> = injected("store writes again")
        .into_iter()
        .filter(|l| l.contains("failures=25"))
        .collect();
    assert_eq!(again.len(), 1, "{again:?}");
}

#[tokio::test]
async fn fault_switches_are_for_test_mode_secret_keys_while_no_live_key_exists() {
    let app = TestApp::spawn().await;
    let (s, v) = app.get("/v1/test_helpers/faults").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["fail_next_commits"], 0);
    assert_eq!(v["commit_delay_ms"], 0);

    let (s, e) = app
        .post("/v1/test_helpers/faults", &[("commit_delay_ms", "60001")])
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    assert_eq!(e["error"]["param"], "commit_delay_ms");
    let (s, e) = app
        .post("/v1/test_helpers/faults", &[("fail_next_commits", "-1")])
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    assert_eq!(e["error"]["param"], "fail_next_commits");
    let (s, e) = app.post("/v1/test_helpers/faults", &[("drop", "5")]).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    assert_eq!(e["error"]["code"], "parameter_unknown");

    // The delay switch holds every commit.
    set_faults(&app, &[("commit_delay_ms", "600")]).await;
    let started = Instant::now();
    let (s, _) = app
        .post("/v1/customers", &[("email", "slow@example.com")])
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(started.elapsed() >= Duration::from_millis(600));
    let v = set_faults(&app, &[("commit_delay_ms", "0")]).await;
    assert_eq!(v["commit_delay_ms"], 0);

    // A live key anywhere turns the switches off, for reading and setting.
    paygate_gateway::admin::create_key(&app.server.state.store, &app.merchant, true, true)
        .await
        .expect("live key");
    let (s, e) = app
        .post("/v1/test_helpers/faults", &[("fail_next_commits", "1")])
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{e}");
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("live-mode")
    );
    assert_eq!(
        app.server
            .state
            .store
            .write_faults()
            .get()
            .fail_next_commits,
        0
    );
}

#[tokio::test]
async fn configured_fault_switches_are_refused_when_live_keys_exist() {
    let app = TestApp::spawn().await;
    paygate_gateway::admin::create_key(&app.server.state.store, &app.merchant, true, true)
        .await
        .expect("live key");
    let mut cfg = app.server.state.cfg.clone();
    cfg.fault_fail_next_commits = 3;
    let err = paygate_gateway::api::test_faults::from_config(&cfg, &app.server.state.store, true)
        .expect_err("refused");
    assert!(err.contains("live-mode API keys exist"), "{err}");
}

/// Unmounts the tmpfs at drop (also when the test fails).
struct Mounted(std::path::PathBuf);

impl Drop for Mounted {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.0)
            .status();
    }
}

#[tokio::test]
async fn a_full_disk_is_503_and_unready_until_space_returns() {
    let mount_dir = tempfile::tempdir().unwrap();
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=8m", "tmpfs"])
        .arg(mount_dir.path())
        .output();
    match mounted {
        Ok(o) if o.status.success() => {}
        Ok(o) => {
            println!(
                "SKIPPED a_full_disk_is_503_and_unready_until_space_returns: mount -t tmpfs not allowed here ({})",
                String::from_utf8_lossy(&o.stderr).trim()
            );
            return;
        }
        Err(e) => {
            println!("SKIPPED a_full_disk_is_503_and_unready_until_space_returns: no mount ({e})");
            return;
        }
    }
    let _guard = Mounted(mount_dir.path().to_path_buf());
    let data = mount_dir.path().join("data");
    let app = TestApp::spawn_with(|c| c.data_dir = data.clone()).await;
    let (s, pi) = app.pay(VISA, 5_000, &[]).await;
    assert_eq!(s, StatusCode::OK, "{pi}");

    // Fill the disk.
    let filler = mount_dir.path().join("filler");
    {
        let mut f = std::fs::File::create(&filler).unwrap();
        let chunk = vec![0u8; 64 * 1024];
        while f.write_all(&chunk).is_ok() {}
        let _ = f.sync_all();
    }
    let mut refused = 0;
    for i in 0..50 {
        let r = app
            .post_response(
                &app.key,
                "/v1/payment_intents",
                &support::card_payment_form(VISA, &(5_000 + i).to_string()),
                None,
            )
            .await;
        if r.status() == StatusCode::SERVICE_UNAVAILABLE {
            assert!(r.headers().contains_key("retry-after"));
            let e: Value = r.json().await.unwrap();
            assert_eq!(e["error"]["code"], "store_unavailable", "{e}");
            refused += 1;
        } else {
            assert_eq!(r.status(), StatusCode::OK, "only 200 or 503 on a full disk");
        }
    }
    assert!(refused > 0, "a full disk refuses writes");
    let (s, ready) = readyz(&app).await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "{ready}");
    assert_eq!(ready["store_writable"], false);
    assert!(
        ready["store_reason"].as_str().unwrap().contains("full"),
        "{ready}"
    );
    let (s, _) = app.get("/v1/payment_intents?limit=3").await;
    assert_eq!(s, StatusCode::OK, "reads keep working");

    std::fs::remove_file(&filler).unwrap();
    assert!(
        eventually(Duration::from_secs(10), || async {
            readyz(&app).await.0 == StatusCode::OK
        })
        .await,
        "ready once space returns: {:?}",
        readyz(&app).await
    );
    let (s, pi) = app.pay(VISA, 7_000, &[]).await;
    assert_eq!(s, StatusCode::OK, "{pi}");
    assert!(app.ledger_problems().await.is_empty());
    // Nothing approved is left unreversed without a payment.
    let (_, list) = app.get("/v1/payment_intents?limit=100").await;
    let succeeded = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["status"] == "succeeded")
        .count();
    let live_auths = authorizations(&app)
        .iter()
        .filter(|a| a["reversed"] == false && a["response_code"] == "00")
        .count();
    assert_eq!(live_auths, succeeded, "{:?}", authorizations(&app));
    app.server.shutdown().await;
}

/// The stale-attempt sweep leaves a record the reverser holds alone, and the reverser finishes
/// the record without a second reversal: the network sees exactly one.
#[tokio::test]
async fn the_sweep_does_not_reverse_what_the_reverser_holds() {
    let app = TestApp::spawn_with(|c| {
        c.fault_delay_after_auth_ms = 1_000;
        c.sweep_interval_ms = 100;
        c.attempt_stale_s = 2;
    })
    .await;
    let (_, pi) = app
        .post(
            "/v1/payment_intents",
            &[("amount", "6000"), ("currency", "krw")],
        )
        .await;
    let path = format!("/v1/payment_intents/{}", pi["id"].as_str().unwrap());
    let form: Vec<(&str, &str)> = support::card_payment_form(VISA, "6000")
        .into_iter()
        .filter(|(k, _)| k.starts_with("payment_method_data"))
        .collect();
    let confirm = {
        let (client, url, key) = (
            app.client.clone(),
            format!("{}{path}/confirm", app.base),
            app.key.clone(),
        );
        let body = support::url_encode(&form);
        tokio::spawn(async move {
            client
                .post(url)
                .bearer_auth(key)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body)
                .send()
                .await
                .expect("confirm answered")
                .status()
        })
    };
    let (app_ref, path_ref) = (&app, &path);
    assert!(
        eventually(Duration::from_secs(5), || async move {
            app_ref.get(path_ref).await.1["status"] == "processing"
        })
        .await
    );
    // Unwritable for the outcome and ~4 s of probes: the record is older than
    // attempt_stale_s while the reverser still holds it.
    set_faults(&app, &[("fail_next_commits", "5")]).await;
    assert_eq!(confirm.await.unwrap(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        eventually(Duration::from_secs(15), || async {
            app.get(&path).await.1["status"] == "requires_payment_method"
                && app
                    .server
                    .state
                    .store
                    .attempts(None)
                    .await
                    .unwrap()
                    .is_empty()
        })
        .await,
        "finished: {}",
        app.get(&path).await.1
    );
    let journal = paygate_sim_network::journal(&app.sim_dir()).expect("journal");
    let v = serde_json::to_value(journal).unwrap();
    let reversals = v
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "reversal")
        .count();
    assert_eq!(reversals, 1, "{v}");
    assert_eq!(authorizations(&app)[0]["reversed"], true);
    assert!(app.ledger_problems().await.is_empty());
}
