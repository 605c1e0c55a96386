//! The developer CLI against a running `paygate serve` (docs/DEVELOPERS.md): `paygate listen`
//! forwards the merchant's own events, signed with the secret it prints, to a receiver in this
//! test and resumes after the gateway restarts; `paygate trigger` fires each event of its
//! table through the API; `paygate logs tail` shows the merchant's own requests; every
//! listing command takes `--json`.

mod common;

use common::receiver::{receiver, verified_events};
use common::{BIN, Proc, cli, printed, serve_with_merchant, spawn, stdout_of};
use serde_json::Value;
use std::path::Path;
use std::time::{Duration, Instant};

/// How long the tests wait for something a process does in the background.
const WAIT: Duration = Duration::from_secs(60);

/// Waits until `done` holds.
fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let until = Instant::now() + WAIT;
    while !done() {
        assert!(Instant::now() < until, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn trigger(base: &str, key: &str, event: &str) -> Value {
    let (ok, out) = cli(&[
        "trigger",
        event,
        "--api-key",
        key,
        "--api-base",
        base,
        "--json",
    ]);
    assert!(ok, "trigger {event}: {out}");
    json_line(&out, "trigger")
}

/// The JSON line of `out` whose `object` is `object`.
fn json_line(out: &str, object: &str) -> Value {
    out.lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|v| v["object"] == object)
        .unwrap_or_else(|| panic!("no {object} line in {out}"))
}

/// A second merchant on the gateway's data dir: (id, secret key).
fn other_merchant(data: &str) -> (String, String) {
    common::merchant(data)
}

fn listen(dir: &Path, base: &str, key: &str, forward_to: &str) -> Proc {
    spawn(
        &[
            "listen",
            "--api-key",
            key,
            "--api-base",
            base,
            "--forward-to",
            forward_to,
        ],
        &[],
        &dir.join("listen.log"),
        "Ready!",
    )
}

fn types(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn listen_forwards_only_its_merchants_events_signed_and_resumes_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mut gw = serve_with_merchant(dir.path(), &[]);
    let (_, other_key) = other_merchant(&gw.data);
    let (url, got) = receiver();
    let l = listen(dir.path(), &gw.base, &gw.key, &url);
    let secret = printed(&l, "Ready! Your webhook signing secret is");
    assert!(secret.starts_with("whsec_"), "{secret}");

    // The other merchant's event first: were it forwarded, it would come before ours.
    let theirs = trigger(&gw.base, &other_key, "customer.created");
    let paid = trigger(&gw.base, &gw.key, "payment_intent.succeeded");
    let pi = paid["requests"][0]["object"].as_str().unwrap().to_string();
    wait_for("the payment's events", || {
        let t = types(&verified_events(&got, &secret));
        t.contains(&"payment_intent.succeeded".into()) && t.contains(&"charge.succeeded".into())
    });
    let events = verified_events(&got, &secret);
    let their_customer = theirs["requests"][0]["object"].as_str().unwrap();
    for e in &events {
        assert_ne!(
            e["type"], "customer.created",
            "another merchant's event arrived"
        );
        assert!(!e.to_string().contains(their_customer));
    }
    let succeeded = events
        .iter()
        .find(|e| e["type"] == "payment_intent.succeeded")
        .unwrap();
    assert_eq!(succeeded["data"]["object"]["id"], pi.as_str());
    let out = stdout_of(&l);
    let evt = succeeded["id"].as_str().unwrap();
    assert!(
        out.contains(&format!("--> payment_intent.succeeded [{evt}]")),
        "{out}"
    );
    assert!(
        out.contains(&format!("<-- [200] POST {url} [{evt}]")),
        "{out}"
    );

    // The gateway goes away and comes back on the same address: the listener reconnects
    // after its last event and forwards what came since, each event once.
    let before = events.len();
    let addr = gw.base.trim_start_matches("http://").to_string();
    let _ = gw.proc.child.kill();
    let _ = gw.proc.child.wait();
    gw.proc = spawn(
        &[
            "serve",
            "--data-dir",
            &gw.data,
            "--listen",
            &addr,
            "--metrics-listen",
            "127.0.0.1:0",
        ],
        &[],
        &dir.path().join("gw2.log"),
        "paygate listening on",
    );
    trigger(&gw.base, &gw.key, "charge.refunded");
    wait_for("the refund's events after the restart", || {
        types(&verified_events(&got, &secret)).contains(&"charge.refunded".into())
    });
    let events = verified_events(&got, &secret);
    assert!(events.len() > before);
    let mut ids: Vec<&str> = events.iter().map(|e| e["id"].as_str().unwrap()).collect();
    let n = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), n, "an event was forwarded twice");
}

#[test]
fn the_event_stream_resumes_after_an_event_and_keeps_to_its_merchant() {
    let dir = tempfile::tempdir().unwrap();
    let gw = serve_with_merchant(dir.path(), &[]);
    let (_, other_key) = other_merchant(&gw.data);
    let theirs = trigger(&gw.base, &other_key, "customer.created");
    trigger(&gw.base, &gw.key, "customer.created");
    trigger(&gw.base, &gw.key, "customer.updated");
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let http = reqwest::Client::new();
        let list: Value = http
            .get(format!("{}/v1/events?limit=100", gw.base))
            .bearer_auth(&gw.key)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        // Oldest first: resume after the first, expect the rest in order.
        let mut ids: Vec<String> = list["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].as_str().unwrap().to_string())
            .collect();
        ids.reverse();
        assert!(ids.len() >= 3, "{ids:?}");
        let mut resp = http
            .get(format!("{}/v1/events/stream", gw.base))
            .bearer_auth(&gw.key)
            .header("last-event-id", &ids[0])
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        let mut text = String::new();
        let ids_in = |t: &str| t.lines().filter(|l| l.starts_with("id: ")).count();
        while ids_in(&text) < ids.len() || !text.ends_with("\n\n") {
            let chunk = tokio::time::timeout(WAIT, resp.chunk())
                .await
                .unwrap()
                .unwrap();
            text.push_str(&String::from_utf8_lossy(&chunk.unwrap()));
        }
        let streamed: Vec<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix("id: "))
            .collect();
        assert_eq!(streamed[0], ids[0], "the opening message names the start");
        assert_eq!(&streamed[1..], &ids[1..]);

        // Another merchant's event id is no cursor; a publishable key streams nothing.
        let their_event = {
            let v: Value = http
                .get(format!("{}/v1/events?limit=1", gw.base))
                .bearer_auth(&other_key)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            v["data"][0]["id"].as_str().unwrap().to_string()
        };
        assert!(theirs["requests"][0]["object"].is_string());
        let r = http
            .get(format!(
                "{}/v1/events/stream?starting_after={their_event}",
                gw.base
            ))
            .bearer_auth(&gw.key)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
        let e: Value = r.json().await.unwrap();
        assert_eq!(e["error"]["param"], "starting_after");
        let pk = publishable_key(&gw.data);
        let r = http
            .get(format!("{}/v1/events/stream", gw.base))
            .bearer_auth(pk)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
    });
}

/// A publishable key of a fresh merchant of `data`.
fn publishable_key(data: &str) -> String {
    let (ok, out) = cli(&[
        "merchant",
        "create",
        "--name",
        "P",
        "--data-dir",
        data,
        "--json",
    ]);
    assert!(ok, "{out}");
    let v: Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    v["publishable_key"].as_str().unwrap().to_string()
}

#[test]
fn trigger_fires_every_event_of_its_list() {
    let dir = tempfile::tempdir().unwrap();
    let gw = serve_with_merchant(dir.path(), &[]);
    let (ok, out) = cli(&["trigger", "--list", "--json"]);
    assert!(ok, "{out}");
    let list = json_line(&out, "list");
    let events: Vec<String> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"].as_str().unwrap().to_string())
        .collect();
    for required in [
        "payment_intent.succeeded",
        "payment_intent.payment_failed",
        "payment_intent.canceled",
        "payment_intent.requires_action",
        "charge.succeeded",
        "charge.refunded",
        "charge.captured",
        "refund.created",
        "customer.created",
        "setup_intent.succeeded",
    ] {
        assert!(events.contains(&required.to_string()), "{required} missing");
    }
    let rt = tokio::runtime::Runtime::new().unwrap();
    let http = reqwest::Client::new();
    for event in &events {
        let made = trigger(&gw.base, &gw.key, event);
        let first = made["requests"][0]["object"].as_str().unwrap().to_string();
        // The event is recorded, about an object this trigger made.
        let found: Value = rt.block_on(async {
            http.get(format!("{}/v1/events?type={event}&limit=100", gw.base))
                .bearer_auth(&gw.key)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap()
        });
        let made_ids: Vec<&str> = made["requests"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|r| r["object"].as_str())
            .collect();
        let about_ours = found["data"].as_array().unwrap().iter().any(|e| {
            let o = &e["data"]["object"];
            made_ids
                .iter()
                .any(|id| o["id"] == *id || o["payment_intent"] == *id || o["customer"] == *id)
        });
        assert!(about_ours, "{event}: no such event about {first}: {found}");
    }
    let (ok, out) = cli(&[
        "trigger",
        "no.such_event",
        "--api-key",
        &gw.key,
        "--api-base",
        &gw.base,
    ]);
    assert!(!ok);
    assert!(
        out.contains("supported events: payment_intent.created"),
        "{out}"
    );
    let (ok, out) = cli(&[
        "trigger",
        "customer.created",
        "--api-key",
        "sk_live_abc",
        "--api-base",
        &gw.base,
    ]);
    assert!(!ok);
    assert!(
        out.contains("live-mode key") && !out.contains("sk_live_abc"),
        "{out}"
    );
}

#[test]
fn logs_tail_shows_the_merchants_requests_and_filters_by_status() {
    let dir = tempfile::tempdir().unwrap();
    let gw = serve_with_merchant(dir.path(), &[]);
    let (_, other_key) = other_merchant(&gw.data);
    let all: Vec<&str> = vec![
        "logs",
        "tail",
        "--api-key",
        gw.key.as_str(),
        "--api-base",
        gw.base.as_str(),
    ];
    let tail = spawn(&all, &[], &dir.path().join("tail.log"), "Ready!");
    let mut failed = all.clone();
    failed.extend(["--filter-status", "4xx", "--json"]);
    let tail4 = spawn(&failed, &[], &dir.path().join("tail4.log"), "logs.ready");

    trigger(&gw.base, &other_key, "setup_intent.created");
    trigger(&gw.base, &gw.key, "customer.created");
    let declined = trigger(&gw.base, &gw.key, "payment_intent.payment_failed");
    let req = declined["requests"][0]["request_id"]
        .as_str()
        .unwrap()
        .to_string();
    wait_for("the declined payment in both tails", || {
        stdout_of(&tail).contains(&req) && stdout_of(&tail4).contains(&req)
    });
    let text = stdout_of(&tail);
    assert!(text.contains("[200] POST /v1/customers"), "{text}");
    let line = text.lines().find(|l| l.contains(&req)).unwrap();
    assert!(line.contains("[402] POST /v1/payment_intents"), "{line}");
    assert!(line.contains("idempotency_key=trigger_"), "{line}");
    assert!(
        !text.contains("/v1/setup_intents"),
        "another merchant's request: {text}"
    );
    assert!(!text.contains("4000000000000002"));
    let json: Vec<Value> = stdout_of(&tail4)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(json[0]["object"], "logs.ready");
    assert_eq!(json.len(), 2, "only the 402: {json:?}");
    assert_eq!(json[1]["status"], 402);
    assert_eq!(json[1]["path"], "/v1/payment_intents");
    assert_eq!(json[1]["request_id"], req.as_str());
}

/// Every listing command (list, journal, report, audit, verify, export, tail) takes `--json`,
/// found by walking `paygate --help`.
#[test]
fn every_listing_command_takes_json() {
    /// Commands whose output is JSON already, or a file of a fixed format.
    const NO_FLAG: [&str; 1] = ["dashboard audit export"];
    let help = |path: &[&str]| {
        let out = std::process::Command::new(BIN)
            .args(path)
            .arg("--help")
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    let mut todo: Vec<Vec<String>> = vec![vec![]];
    let mut listing = Vec::new();
    while let Some(path) = todo.pop() {
        let p: Vec<&str> = path.iter().map(String::as_str).collect();
        let text = help(&p);
        let subs: Vec<String> = text
            .lines()
            .skip_while(|l| !l.starts_with("Commands:"))
            .skip(1)
            .take_while(|l| !l.trim().is_empty())
            .filter_map(|l| l.split_whitespace().next())
            .filter(|s| *s != "help")
            .map(String::from)
            .collect();
        if subs.is_empty() {
            let name = path.last().cloned().unwrap_or_default();
            let is_listing = [
                "list", "journal", "report", "audit", "verify", "export", "tail",
            ]
            .contains(&name.as_str());
            if is_listing && !NO_FLAG.contains(&path.join(" ").as_str()) {
                assert!(
                    text.contains("--json"),
                    "paygate {} has no --json",
                    path.join(" ")
                );
                listing.push(path.join(" "));
            }
        }
        for s in subs {
            let mut next = path.clone();
            next.push(s);
            todo.push(next);
        }
    }
    for expected in ["keys list", "merchant list", "logs tail", "ledger verify"] {
        assert!(
            listing.iter().any(|l| l == expected),
            "{expected} not walked: {listing:?}"
        );
    }
}
