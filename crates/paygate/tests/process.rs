//! The `paygate` binary as operators run it: separate processes for the gateway and the card
//! network simulator, SIGKILL in the middle of a payment, SIGTERM drain, the CLI, and a scan of
//! every file, log line and response for card numbers.

use serde_json::Value;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_paygate");
const PAN: &str = "4242424242424242";

struct Proc {
    child: Child,
    log: std::path::PathBuf,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts `paygate args…`, logging to a file, and waits until `ready` appears on stdout.
fn spawn(args: &[&str], env: &[(&str, &str)], log: &Path, ready: &str) -> Proc {
    let logf = std::fs::File::create(log).unwrap();
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .stdout(Stdio::piped())
        .stderr(logf)
        .env("PAYGATE_LOG", "debug");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("spawn paygate");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let ready = ready.to_string();
    let out_log = log.with_extension("stdout");
    std::thread::spawn(move || {
        let mut all = String::new();
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            all.push_str(&line);
            all.push('\n');
            let _ = std::fs::write(&out_log, &all);
            if line.contains(&ready) {
                let _ = tx.send(());
            }
        }
    });
    rx.recv_timeout(Duration::from_secs(60))
        .expect("process became ready");
    Proc {
        child,
        log: log.to_path_buf(),
    }
}

fn cli(args: &[&str]) -> (bool, String) {
    let out = Command::new(BIN).args(args).output().expect("run paygate");
    let mut s = String::from_utf8_lossy(&out.stdout).to_string();
    s.push_str(&String::from_utf8_lossy(&out.stderr));
    (out.status.success(), s)
}

fn merchant(data: &str) -> (String, String) {
    let out = Command::new(BIN)
        .args([
            "merchant",
            "create",
            "--name",
            "Crash shop",
            "--data-dir",
            data,
            "--json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    (
        v["id"].as_str().unwrap().into(),
        v["secret_key"].as_str().unwrap().into(),
    )
}

fn journal(sim_dir: &str) -> Vec<Value> {
    let out = Command::new(BIN)
        .args(["sim", "network", "journal", "--data-dir", sim_dir, "--json"])
        .output()
        .expect("run paygate");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("journal JSON");
    v.as_array().cloned().unwrap_or_default()
}

fn pay_form() -> String {
    format!(
        "amount=12000&currency=krw&confirm=true&payment_method_data[type]=card&payment_method_data[card][number]={PAN}\
         &payment_method_data[card][exp_month]=12&payment_method_data[card][exp_year]=2034&payment_method_data[card][cvc]=123"
    )
}

async fn post(
    base: &str,
    key: &str,
    idem: &str,
    body: String,
) -> Result<(u16, Value), reqwest::Error> {
    let r = reqwest::Client::new()
        .post(format!("{base}/v1/payment_intents"))
        .bearer_auth(key)
        .header("Idempotency-Key", idem)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await?;
    let s = r.status().as_u16();
    Ok((s, r.json().await.unwrap_or(Value::Null)))
}

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

/// A `paygate serve` process on its own SQLite data dir with one merchant.
struct Gateway {
    proc: Proc,
    data: String,
    key: String,
    base: String,
}

/// Creates a merchant under `dir/gw` and starts `paygate serve` there with `env`.
fn serve_with_merchant(dir: &Path, env: &[(&str, &str)]) -> Gateway {
    let data = dir.join("gw").to_str().unwrap().to_string();
    let (_, key) = merchant(&data);
    let listen = format!("127.0.0.1:{}", free_port());
    let proc = spawn(
        &["serve", "--data-dir", &data, "--listen", &listen],
        env,
        &dir.join("gw.log"),
        "listening on",
    );
    Gateway {
        proc,
        data,
        key,
        base: format!("http://{listen}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_drains_in_flight_requests_then_exits_zero_and_no_pan_leaks_anywhere() {
    let dir = tempfile::tempdir().unwrap();
    let Gateway {
        proc: mut gw,
        key,
        base,
        ..
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
    // No full PAN in any file under the data dir, in the logs, or in responses.
    assert!(!pi.to_string().contains(PAN));
    let mut scanned = 0;
    for path in walk(dir.path()) {
        let mut bytes = Vec::new();
        std::fs::File::open(&path)
            .unwrap()
            .read_to_end(&mut bytes)
            .unwrap();
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

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
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
    let (ok, out) = cli(&["settle", "--date", "2030-01-01", "--data-dir", d]);
    assert!(ok, "{out}");
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
        assert!(payments >= 50, "{shape:?}: {s}");
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
        assert!(s["declined"].as_u64().unwrap() >= 1, "5 % decline: {s}");
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
