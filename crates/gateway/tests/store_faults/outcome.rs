//! An outcome the store cannot take: 503, not ready, reversed at once by the in-process
//! reverser, finished once the store writes, never reversed twice.

use crate::common::{authorizations, captured_log, eventually, log_lines_with, readyz, set_faults};
use crate::support::{self, TestApp, VISA};
use reqwest::StatusCode;
use serde_json::Value;
use std::time::Duration;

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

/// The stale-attempt sweep leaves a record the reverser holds alone, and the reverser finishes
/// the record without a second reversal: the network sees exactly one.
#[tokio::test]
async fn the_sweep_does_not_reverse_what_the_reverser_holds() {
    let app = TestApp::spawn_with(|c| {
        c.fault_delay_after_auth_ms = 1_000;
        c.sweep_interval_ms = 100;
        // Whole seconds: the record is eligible 2 to 3 s after phase 1, at least 1 s after
        // the reverser took it (the outcome fails ~1 s after phase 1).
        c.attempt_stale_s = 3;
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
    // Unwritable for the outcome, the key's release and ~5 s of probes: the record is older
    // than attempt_stale_s while the reverser still holds it.
    set_faults(&app, &[("fail_next_commits", "7")]).await;
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
