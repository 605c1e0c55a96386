//! The `paygate` binary as operators run it: separate processes for the gateway and the card
//! network simulator, SIGKILL in the middle of a payment, SIGTERM drain, the CLI, and a scan of
//! every file, log line and response for card numbers.

mod common;

use common::*;
use serde_json::Value;
use std::io::Read;
use std::process::Command;
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_killed_between_approval_and_commit_reverses_on_restart_and_charges_once() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("gw");
    let sim_dir = dir.path().join("sim");
    let data_s = data.to_str().unwrap().to_string();
    let sim_s = sim_dir.to_str().unwrap().to_string();
    let sim_port = free_port();
    let sim_addr = format!("127.0.0.1:{sim_port}");
    let _sim = spawn(
        &[
            "sim",
            "network",
            "--listen",
            &sim_addr,
            "--data-dir",
            &sim_s,
        ],
        &[],
        &dir.path().join("sim.log"),
        "listening on",
    );
    let (_, key) = merchant(&data_s);
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let base = format!("http://{listen}");
    let gw_args = [
        "serve",
        "--data-dir",
        &data_s,
        "--listen",
        &listen,
        "--metrics-listen",
        "127.0.0.1:0",
        "--network-addr",
        &sim_addr,
    ];
    let gw = spawn(
        &gw_args,
        &[("PAYGATE_FAULT_DELAY_AFTER_AUTH_MS", "30000")],
        &dir.path().join("gw1.log"),
        "listening on",
    );
    let pid = gw.child.id();
    let req = tokio::spawn({
        let base = base.clone();
        let key = key.clone();
        async move { post(&base, &key, "crash-order-1", pay_form()).await }
    });
    // Wait until the network approved the authorization, then SIGKILL the gateway.
    let t0 = Instant::now();
    while !journal(&sim_s)
        .iter()
        .any(|e| e["type"] == "authorization" && e["response_code"] == "00")
    {
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "authorization never reached the network"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let killed = Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    drop(gw);
    assert!(
        req.await.unwrap().is_err(),
        "the client saw the connection die, no answer"
    );
    // Restart without the fault: recovery reverses the orphaned authorization.
    let _gw2 = spawn(&gw_args, &[], &dir.path().join("gw2.log"), "listening on");
    let t0 = Instant::now();
    loop {
        let j = journal(&sim_s);
        let auth = j
            .iter()
            .find(|e| e["type"] == "authorization")
            .cloned()
            .unwrap();
        if auth["reversed"] == true {
            break;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "orphaned authorization was never reversed: {auth}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The intent is retryable, and the client's retry with the same key charges exactly once.
    let (status, pi) = post(&base, &key, "crash-order-1", pay_form())
        .await
        .unwrap();
    assert_eq!(status, 200, "{pi}");
    assert_eq!(pi["status"], "succeeded");
    let j = journal(&sim_s);
    let live: Vec<&Value> = j
        .iter()
        .filter(|e| {
            e["type"] == "authorization" && e["response_code"] == "00" && e["reversed"] == false
        })
        .collect();
    assert_eq!(live.len(), 1, "exactly one standing charge: {j:?}");
    let (ok, out) = cli(&["ledger", "verify", "--data-dir", &data_s]);
    assert!(ok, "{out}");
    let (ok, out) = cli(&[
        "reconcile",
        "--data-dir",
        &data_s,
        "--network-journal",
        &sim_s,
    ]);
    assert!(ok, "the books agree with the network after recovery: {out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_drains_in_flight_requests_then_exits_zero_and_no_pan_leaks_anywhere() {
    let dir = tempfile::tempdir().unwrap();
    let Gateway {
        proc: mut gw,
        key,
        base,
        data,
    } = serve_with_merchant(dir.path(), &[("PAYGATE_FAULT_DELAY_AFTER_AUTH_MS", "1500")]);
    let req = tokio::spawn({
        let base = base.clone();
        let key = key.clone();
        async move { post(&base, &key, "drain-1", pay_form()).await }
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    let st = Command::new("kill")
        .args(["-TERM", &gw.child.id().to_string()])
        .status()
        .unwrap();
    assert!(st.success());
    let (status, pi) = req
        .await
        .unwrap()
        .expect("the in-flight request is answered");
    assert_eq!(status, 200, "{pi}");
    assert_eq!(pi["status"], "succeeded");
    let code = gw.child.wait().unwrap();
    assert!(code.success(), "exit status {code:?}");
    // The demo's simulators share a CAVV key created on first start: 64 hex digits, 0600.
    let hex = private_file(&data, "sim-cavv.key");
    assert_eq!(hex.trim().len(), 64);
    assert!(hex.trim().bytes().all(|b| b.is_ascii_hexdigit()));
    assert!(std::path::Path::new(&data).join("3ds-sim").is_dir());
    // Test mode without --pages-csrf-key: the payer pages' key is kept in the data dir
    // (base64 of 32 bytes, 0600) instead of one generated per process ...
    let csrf = private_file(&data, "pages-csrf.key");
    assert_eq!(csrf.trim().len(), 44, "base64 of 32 bytes");
    let log = std::fs::read_to_string(&gw.log).unwrap();
    assert!(!log.contains("generated one for this process"), "{log}");
    // ... and a restart reads it unchanged, so forms rendered before it still post back.
    let listen = format!("127.0.0.1:{}", free_port());
    let gw2 = spawn(
        &[
            "serve",
            "--data-dir",
            &data,
            "--listen",
            &listen,
            "--metrics-listen",
            "127.0.0.1:0",
        ],
        &[],
        &dir.path().join("gw2.log"),
        "listening on",
    );
    assert_eq!(private_file(&data, "pages-csrf.key"), csrf);
    let log = std::fs::read_to_string(&gw2.log).unwrap();
    assert!(!log.contains("generated one for this process"), "{log}");
    drop(gw2);
    // No full PAN in any file under the data dir, in the logs, or in responses.
    assert!(!pi.to_string().contains(PAN));
    let mut scanned = 0;
    for path in walk(dir.path()) {
        let mut bytes = Vec::new();
        // A file may vanish between the listing and the read (SQLite's -shm/-wal of the
        // stopped process, the harness's stdout copy renamed into place): nothing to scan.
        match std::fs::File::open(&path) {
            Ok(mut f) => f.read_to_end(&mut bytes).unwrap(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => panic!("{}: {e}", path.display()),
        };
        scanned += 1;
        assert!(
            !bytes.windows(PAN.len()).any(|w| w == PAN.as_bytes()),
            "full PAN found in {}",
            path.display()
        );
    }
    assert!(
        scanned >= 3,
        "scanned the database, the journal and the logs ({})",
        gw.log.display()
    );
}

/// The text of DATA_DIR/`name`, checked to be readable by its owner only.
fn private_file(data: &str, name: &str) -> String {
    let path = std::path::Path::new(data).join(name);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{}", path.display());
    }
    std::fs::read_to_string(&path).unwrap()
}

/// Runs `paygate serve` on `data`, which is expected to refuse to start; returns its output.
fn serve_until_exit(data: &str) -> String {
    let mut child = Command::new(BIN)
        .args(["serve", "--data-dir", data, "--listen", "127.0.0.1:0"])
        .args(["--metrics-listen", "off"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let t0 = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if t0.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("paygate serve started instead of refusing to");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success());
    String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr)
}

#[test]
fn operator_cli_creates_merchants_keys_and_verifies_the_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let (id, _) = merchant(d);
    let (ok, out) = cli(&["merchant", "list", "--data-dir", d]);
    assert!(ok && out.contains(&id), "{out}");
    let (ok, out) = cli(&[
        "keys",
        "create",
        "--merchant",
        &id,
        "--live",
        "--data-dir",
        d,
        "--json",
    ]);
    assert!(ok, "{out}");
    let v: Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    assert!(v["key"].as_str().unwrap().starts_with("sk_live_"));
    // With a live-mode key the vault's keys must come from outside the data directory and the
    // payer pages' key must be configured: no generated file stands in for either (the
    // PCI DSS control tests in pci_controls.rs go through each in turn).
    let out = serve_until_exit(d);
    assert!(out.contains("PCI DSS 3.6.1"), "{out}");
    assert!(!dir.path().join("pages-csrf.key").exists());
    let (ok, out) = cli(&[
        "keys",
        "revoke",
        "--id",
        v["id"].as_str().unwrap(),
        "--data-dir",
        d,
    ]);
    assert!(ok, "{out}");
    let (ok, out) = cli(&["ledger", "verify", "--data-dir", d]);
    assert!(ok, "{out}");
    let (ok, out) = cli(&["settle", "--date", "2026-13-01", "--data-dir", d]);
    assert!(!ok && out.contains("YYYY-MM-DD"), "{out}");
    let (ok, out) = cli(&["settle", "--date", "2026-01-01", "--data-dir", d]);
    assert!(
        ok && out.contains("settled 0 balance transactions"),
        "{out}"
    );
}

/// The CI smoke of the load generator: `paygate bench` against a real `paygate serve` (its
/// in-process simulator, SQLite), one second of closed-loop payments and one of open loop.
/// Not a performance test: it checks that the bench drives the real API end to end and that
/// its JSON summary and the server agree, never how fast anything was.
#[test]
fn paygate_bench_drives_a_real_server_and_its_summary_matches_the_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let Gateway {
        proc: gw,
        data: data_s,
        key,
        base,
    } = serve_with_merchant(dir.path(), &[("PAYGATE_LOG", "warn")]);
    let pid = gw.child.id().to_string();
    let mut approved_total = 0;
    for shape in [["--concurrency", "8"], ["--rate", "100"]] {
        let mut args = vec![
            "bench",
            "--url",
            &base,
            "--secret-key",
            &key,
            "--duration",
            "1s",
            "--warmup",
            "0s",
            "--bare-duration",
            "200ms",
            "--server-pid",
            &pid,
            "--json",
        ];
        args.extend(shape);
        let (ok, out) = cli(&args);
        assert!(ok, "{out}");
        let last = out
            .lines()
            .rfind(|l| l.starts_with('{'))
            .expect("JSON line");
        let s: Value = serde_json::from_str(last).unwrap();
        let payments = s["payments"].as_u64().unwrap();
        assert!(payments > 0, "{shape:?}: the bench made payments: {s}");
        assert_eq!(
            s["errors"]
                .as_object()
                .unwrap()
                .values()
                .filter(|v| v != &&Value::from(0))
                .count(),
            0,
            "{s}"
        );
        assert_eq!(
            s["approved"].as_u64().unwrap() + s["declined"].as_u64().unwrap(),
            payments,
            "{s}"
        );
        assert_eq!(
            s["declined"].as_u64().unwrap(),
            payments / 20,
            "every 20th payment uses the decline card: {s}"
        );
        assert!(s["bare_requests_per_s"].as_f64().unwrap() > 0.0, "{s}");
        assert!(s["ratio_to_bare"].as_f64().unwrap() > 0.0, "{s}");
        assert!(s["server_rss"]["end_kib"].as_u64().unwrap() > 0, "{s}");
        approved_total += s["approved"].as_u64().unwrap();
    }
    drop(gw);
    // What the bench counted as approved is what the server recorded: every approved payment
    // (warm-up is off, captures are automatic) is one capture entry, and the ledger balances.
    let (ok, out) = cli(&["ledger", "verify", "--data-dir", &data_s, "--json"]);
    assert!(ok, "{out}");
    let v: Value =
        serde_json::from_str(out.lines().rfind(|l| l.starts_with('{')).unwrap()).unwrap();
    assert_eq!(v["problems"], serde_json::json!([]), "{v}");
    assert_eq!(v["entries"].as_u64(), Some(approved_total), "{v}");
}
