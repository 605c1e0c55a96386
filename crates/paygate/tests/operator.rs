//! Operating the `paygate` binary: private files, the metrics listener, plain logs with request
//! ids, API keys, and settlement that never runs ahead of the calendar.

mod common;

use common::*;
use serde_json::Value;
use std::os::unix::fs::PermissionsExt;
use std::process::Command;

/// The UTC day `days` from today, `YYYY-MM-DD`.
fn day(days: i64) -> String {
    (time::OffsetDateTime::now_utc().date() + time::Duration::days(days)).to_string()
}

/// A fresh `paygate serve` (no merchant made beforehand: it makes the demo merchant and every
/// file itself), one payment through it, then every file under its data dir is its user's
/// only, `/metrics` answers on the metrics listener alone, and stderr (a file, not a terminal)
/// holds plain access-log lines with request ids.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_keeps_its_files_private_metrics_apart_and_logs_plain_request_lines() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("gw");
    let listen = format!("127.0.0.1:{}", free_port());
    let gw = spawn(
        &[
            "serve",
            "--data-dir",
            data.to_str().unwrap(),
            "--listen",
            &listen,
            "--metrics-listen",
            "127.0.0.1:0",
        ],
        &[],
        &dir.path().join("gw.log"),
        "listening on",
    );
    let key = printed(&gw, "secret key");
    assert!(key.starts_with("sk_test_"), "{key}");
    assert!(
        stdout_of(&gw).contains("(id key_"),
        "key ids are printed: {}",
        stdout_of(&gw)
    );
    let base = format!("http://{listen}");
    let (status, pi) = post(&base, &key, "files-1", pay_form()).await.unwrap();
    assert_eq!(status, 200, "{pi}");

    let files = walk(&data);
    for name in ["paygate.db", "paygate.db-wal", "vault-keys.json"] {
        assert!(
            files.iter().any(|p| p.file_name().unwrap() == name),
            "{name} in {files:?}"
        );
    }
    assert!(
        files
            .iter()
            .any(|p| p.starts_with(data.join("network-sim"))),
        "the simulator's journal is there: {files:?}"
    );
    let mut dirs = vec![data.clone(), data.join("network-sim")];
    dirs.extend(files);
    for p in &dirs {
        let mode = std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode & 0o077, 0, "{} is {mode:o}", p.display());
    }

    let metrics = printed(&gw, "metrics on");
    let m = reqwest::get(&metrics).await.unwrap();
    assert_eq!(m.status(), 200);
    assert!(
        m.text()
            .await
            .unwrap()
            .contains("paygate_payments_total{method=\"card\",outcome=\"succeeded\"} 1\n")
    );
    let api_metrics = reqwest::get(format!("{base}/metrics")).await.unwrap();
    assert_eq!(api_metrics.status(), 404, "never on the API listener");
    let rid = api_metrics.headers()["request-id"]
        .to_str()
        .unwrap()
        .to_string();

    let log = std::fs::read_to_string(&gw.log).unwrap();
    assert!(
        !log.contains('\u{1b}'),
        "ANSI escapes in a log file:\n{log}"
    );
    let line = log
        .lines()
        .find(|l| l.contains(&rid))
        .unwrap_or_else(|| panic!("no access-log line for {rid} in\n{log}"));
    for part in ["method=GET", "path=/metrics", "status=404", "duration_us="] {
        assert!(line.contains(part), "{part} in {line}");
    }
    let pay_line = log
        .lines()
        .find(|l| l.contains("path=/v1/payment_intents") && l.contains("status=200"))
        .unwrap_or_else(|| panic!("no access line for the payment in\n{log}"));
    assert!(pay_line.contains("merchant=acct_"), "{pay_line}");
    assert!(pay_line.contains("request_id=req_"), "{pay_line}");
    assert!(!log.contains(&key), "the API key is never logged");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settle_refuses_a_day_that_has_not_begun_and_moves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let Gateway {
        proc: mut gw,
        data,
        key,
        base,
    } = serve_with_merchant(dir.path(), &[]);
    let (status, pi) = post(&base, &key, "settle-1", pay_form()).await.unwrap();
    assert_eq!(status, 200, "{pi}");
    let term = Command::new("kill")
        .args(["-TERM", &gw.child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    assert!(gw.child.wait().unwrap().success());

    for date in [day(1), day(2), day(400)] {
        let (ok, out) = cli(&["settle", "--date", &date, "--data-dir", &data]);
        assert!(!ok, "{date}: {out}");
        assert!(out.contains("is in the future"), "{out}");
        assert!(out.contains(&day(0)), "names today: {out}");
    }
    let (ok, out) = cli(&["ledger", "verify", "--data-dir", &data, "--json"]);
    assert!(ok, "{out}");
    let v: Value =
        serde_json::from_str(out.lines().rfind(|l| l.starts_with('{')).unwrap()).unwrap();
    assert_eq!(
        v["entries"], 1,
        "only the payment's entry: nothing settled {v}"
    );
    // Today settles what has come due by today's start: nothing yet for a D+2 merchant.
    let (ok, out) = cli(&["settle", "--data-dir", &data]);
    assert!(
        ok && out.contains("settled 0 balance transactions"),
        "{out}"
    );
    let (ok, out) = cli(&["settle", "--date", &day(0), "--data-dir", &data]);
    assert!(
        ok && out.contains("settled 0 balance transactions"),
        "{out}"
    );
}

#[test]
fn keys_list_shows_every_key_by_id_type_and_mode_and_never_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let out = Command::new(BIN)
        .args([
            "merchant",
            "create",
            "--name",
            "Keys shop",
            "--data-dir",
            d,
            "--json",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let m: Value = serde_json::from_slice(&out.stdout).unwrap();
    let (acct, sk) = (m["id"].as_str().unwrap(), m["secret_key"].as_str().unwrap());
    let (ok, out) = cli(&[
        "keys",
        "create",
        "--merchant",
        acct,
        "--live",
        "--data-dir",
        d,
    ]);
    assert!(ok, "{out}");
    let live_id = printed_line(&out, "key id");
    let live_key = printed_line(&out, "key   ");
    assert!(
        live_id.starts_with("key_") && live_key.starts_with("sk_live_"),
        "{out}"
    );
    let (ok, out) = cli(&["keys", "revoke", "--id", &live_id, "--data-dir", d]);
    assert!(ok, "{out}");

    let (ok, out) = cli(&[
        "keys",
        "list",
        "--merchant",
        acct,
        "--data-dir",
        d,
        "--json",
    ]);
    assert!(ok, "{out}");
    let keys: Vec<Value> = out
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let summary: Vec<(&str, &str, &str, bool)> = keys
        .iter()
        .map(|k| {
            (
                k["id"].as_str().unwrap(),
                k["type"].as_str().unwrap(),
                k["mode"].as_str().unwrap(),
                k["revoked"].is_i64(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                m["secret_key_id"].as_str().unwrap(),
                "secret",
                "test",
                false
            ),
            (
                m["publishable_key_id"].as_str().unwrap(),
                "publishable",
                "test",
                false
            ),
            (live_id.as_str(), "secret", "live", true),
        ]
    );
    assert_eq!(
        keys[0]["redacted"],
        format!("sk_test_…{}", &sk[sk.len() - 4..]),
        "prefix and last four only"
    );
    let (ok, text) = cli(&["keys", "list", "--merchant", acct, "--data-dir", d]);
    assert!(ok && text.contains(&live_id), "{text}");
    for secret in [
        sk,
        m["publishable_key"].as_str().unwrap(),
        live_key.as_str(),
    ] {
        assert!(
            !out.contains(secret) && !text.contains(secret),
            "{secret} listed"
        );
    }
    let (ok, out) = cli(&["keys", "list", "--merchant", "acct_nope", "--data-dir", d]);
    assert!(!ok && out.contains("no merchant acct_nope"), "{out}");
}

#[test]
fn revoking_an_unknown_key_names_it_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    merchant(d);
    let (ok, out) = cli(&["keys", "revoke", "--id", "key_nope", "--data-dir", d]);
    assert!(!ok, "{out}");
    assert!(out.contains("no API key key_nope"), "{out}");
    assert!(!out.contains("conflict"), "{out}");
}

/// The word after `prefix` on the first line of `out` that starts with it.
fn printed_line(out: &str, prefix: &str) -> String {
    out.lines()
        .find_map(|l| l.strip_prefix(prefix))
        .and_then(|r| r.split_whitespace().next())
        .unwrap_or_else(|| panic!("no {prefix:?} line in {out}"))
        .to_string()
}
