//! The official `stripe` Node library, unmodified, runs the README's Node walk-through as it
//! stands (the ```js block of README.md, with only the key and port replaced) against a live
//! gateway: authorize, capture part, refund part, list. Then the outcome is checked through
//! the API, the events and the ledger.
//!
//! The test installs `stripe@STRIPE_VERSION` from the npm registry into a directory under the
//! target dir (once). Without node and npm it fails, unless `PAYGATE_SKIP_NODE=1`.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::TestApp;

const STRIPE_VERSION: &str = "23.1.0";

/// How long the script may run before it is killed.
const SCRIPT_LIMIT: Duration = Duration::from_secs(30);

/// The directory holding `node_modules/stripe`; `None` when Node tests are skipped.
fn stripe_node() -> Option<PathBuf> {
    if std::env::var("PAYGATE_SKIP_NODE").as_deref() == Ok("1") {
        eprintln!("skipped: PAYGATE_SKIP_NODE=1");
        return None;
    }
    let dir =
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("stripe-node-{STRIPE_VERSION}"));
    let marker = dir.join(".installed");
    if !marker.exists() {
        std::fs::create_dir_all(&dir).unwrap();
        let ok = Command::new("npm")
            .args(["install", "--silent", "--no-audit", "--no-fund", "--prefix"])
            .arg(&dir)
            .arg(format!("stripe@{STRIPE_VERSION}"))
            .status();
        assert!(
            ok.is_ok_and(|s| s.success()),
            "npm install stripe@{STRIPE_VERSION} failed: install node and npm (or set PAYGATE_SKIP_NODE=1)"
        );
        std::fs::write(&marker, b"ok").unwrap();
    }
    Some(dir)
}

/// The README's ```js block, pointed at this gateway.
fn readme_script(key: &str, port: u16) -> String {
    let readme = include_str!("../../../README.md");
    let block = readme
        .split("```js\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("README.md has a ```js block");
    assert!(block.contains("\"sk_test_...\"") && block.contains("port: 8080"));
    block
        .replace("\"sk_test_...\"", &format!("\"{key}\""))
        .replace("port: 8080", &format!("port: {port}"))
}

/// Runs the script with node in `dir`, killed after [`SCRIPT_LIMIT`]; its stdout.
fn run_node(dir: &Path, script: &str) -> String {
    let path = dir.join("walkthrough.js");
    std::fs::write(&path, script).unwrap();
    let out = dir.join("walkthrough.out");
    let err = dir.join("walkthrough.err");
    let mut child = Command::new("node")
        .arg(&path)
        .current_dir(dir)
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::fs::File::create(&err).unwrap())
        .stdin(Stdio::null())
        .spawn()
        .expect("start node");
    let started = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break Some(s);
        }
        if started.elapsed() > SCRIPT_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let stdout = std::fs::read_to_string(&out).unwrap_or_default();
    let stderr = std::fs::read_to_string(&err).unwrap_or_default();
    assert!(
        status.is_some_and(|s| s.success()),
        "the README's Node walk-through failed (or ran over {SCRIPT_LIMIT:?}):\n{stdout}\n{stderr}"
    );
    stdout
}

#[tokio::test(flavor = "multi_thread")]
async fn stripe_node_runs_the_readme_walkthrough_unchanged() {
    let Some(dir) = stripe_node() else { return };
    let app = TestApp::spawn().await;
    let port: u16 = app
        .base
        .rsplit(':')
        .next()
        .unwrap()
        .trim_end_matches('/')
        .parse()
        .unwrap();
    let script = readme_script(&app.key, port);
    let stdout = tokio::task::spawn_blocking(move || run_node(&dir, &script))
        .await
        .unwrap();
    let mut words = stdout.split_whitespace();
    let (pi, status, refund) = (
        words.next().unwrap(),
        words.next().unwrap(),
        words.next().unwrap(),
    );
    assert_eq!(status, "succeeded", "{stdout}");
    let (_, intent) = app.get(&format!("/v1/payment_intents/{pi}")).await;
    assert_eq!(intent["amount_received"], 3000, "{intent}");
    let charge = intent["latest_charge"].as_str().unwrap();
    let (_, ch) = app.get(&format!("/v1/charges/{charge}")).await;
    // As at Stripe, the 2,000 released by the partial capture counts as refunded, plus the
    // 1,000 refund.
    assert_eq!(
        (
            ch["amount_captured"].as_i64(),
            ch["amount_refunded"].as_i64()
        ),
        (Some(3000), Some(3000)),
        "{ch}"
    );
    let (_, r) = app.get(&format!("/v1/refunds/{refund}")).await;
    assert_eq!(r["amount"], 1000, "{r}");
    let types = app.event_types().await;
    for t in [
        "payment_intent.created",
        "charge.captured",
        "payment_intent.succeeded",
        "charge.refunded",
    ] {
        assert!(types.iter().any(|x| x == t), "no {t} in {types:?}");
    }
    assert!(app.ledger_problems().await.is_empty());
}
