//! Gateways sharing one PostgreSQL schema and one card network simulator, restarted with
//! SIGTERM on the same port, under `paygate bench` load spread over all of them: the rolling
//! restart and upgrade tests (docs/OPERATIONS.md, "Rolling restart" and "Upgrades").

use super::{Proc, cli, free_port, spawn, spawn_with};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How long a stopping gateway answers `/readyz` with 503 while still serving: ten of the
/// bench's readiness polls.
pub const DRAIN_DELAY_MS: &str = "1000";

pub fn database_url() -> String {
    std::env::var("PAYGATE_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// The key material every gateway of the cluster shares: base64 of 32 equal bytes (test
/// values, not secrets), and a quieter log.
const SHARED_ENV: &[(&str, &str)] = &[
    (
        "PAYGATE_VAULT_KEKS",
        "kek-zdt:a2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2s=",
    ),
    (
        "PAYGATE_FINGERPRINT_KEY",
        "ZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmY=",
    ),
    (
        "PAYGATE_PAGES_CSRF_KEY",
        "cHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHA=",
    ),
    ("PAYGATE_LOG", "info"),
    // Passed through the environment: a previous release that does not know it ignores it.
    ("PAYGATE_DRAIN_DELAY_MS", DRAIN_DELAY_MS),
];

/// One PostgreSQL schema of its own, a card network simulator and the merchant's key.
pub struct Cluster {
    pub dir: PathBuf,
    pub db: Vec<String>,
    pub sim_dir: String,
    sim_addr: String,
    _sim: Proc,
    pub key: String,
}

/// A gateway: the binary it runs, its fixed port, and the process while it runs.
pub struct Gateway {
    pub bin: PathBuf,
    pub index: usize,
    pub port: u16,
    pub proc: Option<Proc>,
}

impl Gateway {
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Cluster {
    /// `merchant create` is run by `creator` (whose migrations create the schema).
    pub fn start(dir: &Path, tag: &str, creator: &Path) -> Cluster {
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
        let schema = format!("zdt_{tag}_{}_{}", std::process::id(), nanos.subsec_nanos());
        let db = vec![
            "--database-url".to_string(),
            database_url(),
            "--database-schema".to_string(),
            schema,
        ];
        let sim_dir = dir.join("sim").display().to_string();
        let sim_addr = format!("127.0.0.1:{}", free_port());
        let sim = spawn(
            &[
                "sim",
                "network",
                "--listen",
                &sim_addr,
                "--data-dir",
                &sim_dir,
            ],
            &[],
            &dir.join("sim.log"),
            "listening on",
        );
        let op_dir = dir.join("op").display().to_string();
        let mut args: Vec<&str> = vec!["merchant", "create", "--name", "Rolling shop", "--json"];
        args.extend(db.iter().map(String::as_str));
        args.extend(["--data-dir", &op_dir]);
        let out = Command::new(creator).args(&args).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let m: Value = serde_json::from_str(text.trim()).unwrap();
        Cluster {
            dir: dir.to_path_buf(),
            db,
            sim_dir,
            sim_addr,
            _sim: sim,
            key: m["secret_key"].as_str().unwrap().to_string(),
        }
    }

    pub fn gateway(&self, bin: &Path, index: usize) -> Gateway {
        Gateway {
            bin: bin.to_path_buf(),
            index,
            port: free_port(),
            proc: None,
        }
    }

    /// Starts `gw` on its port and waits until it is ready.
    pub fn start_gateway(&self, gw: &mut Gateway, run: usize) {
        let listen = format!("127.0.0.1:{}", gw.port);
        let data = self
            .dir
            .join(format!("gw-{}", gw.index))
            .display()
            .to_string();
        let node = format!("zdt-{}", gw.index);
        let mut args: Vec<&str> = vec!["serve", "--listen", &listen, "--data-dir", &data];
        args.extend(self.db.iter().map(String::as_str));
        args.extend(["--metrics-listen", "off", "--node-id", &node]);
        args.extend(["--network-addr", &self.sim_addr]);
        let log = self.dir.join(format!("gw-{}-{run}.log", gw.index));
        let proc = spawn_with(&gw.bin, &args, SHARED_ENV, &log, "paygate listening on");
        gw.proc = Some(proc);
        wait_ready(&gw.url(), 200);
    }

    /// `paygate ARGS --database-url … --database-schema …` with the current binary.
    pub fn operator(&self, args: &[&str]) -> (bool, String) {
        let op_dir = self.dir.join("op").display().to_string();
        let mut all: Vec<&str> = args.to_vec();
        all.extend(self.db.iter().map(String::as_str));
        all.extend(["--data-dir", &op_dir]);
        cli(&all)
    }

    /// `ledger verify` finds no problem; returns its entry count.
    pub fn verified_ledger_entries(&self) -> u64 {
        let (ok, out) = self.operator(&["ledger", "verify", "--json"]);
        assert!(ok, "{out}");
        let v: Value =
            serde_json::from_str(out.lines().rfind(|l| l.starts_with('{')).unwrap()).unwrap();
        assert_eq!(v["problems"], serde_json::json!([]), "{v}");
        v["entries"].as_u64().unwrap()
    }

    /// The books agree with the card network's journal: no authorization the gateways left
    /// standing without a payment, none missing.
    pub fn assert_reconciled(&self) {
        let (ok, out) = self.operator(&["reconcile", "--network-journal", &self.sim_dir]);
        assert!(ok, "the books agree with the network: {out}");
    }

    pub fn drop_schema(&self) {
        let schema = &self.db[3];
        let _ = Command::new("psql")
            .args([
                &database_url(),
                "-qc",
                &format!("DROP SCHEMA \"{schema}\" CASCADE"),
            ])
            .output();
    }
}

/// Polls `GET /readyz` until it answers `status` (at most 60 s).
pub fn wait_ready(base: &str, status: u16) {
    let t0 = Instant::now();
    loop {
        let got = readyz(base);
        if got == Some(status) {
            return;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(60),
            "{base}/readyz: {got:?}, waited for {status}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn readyz(base: &str) -> Option<u16> {
    let out = Command::new("curl")
        .args([
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            &format!("{base}/readyz"),
        ])
        .output()
        .ok()?;
    String::from_utf8_lossy(&out.stdout)
        .parse()
        .ok()
        .filter(|s| *s != 0)
}

/// How a gateway stops on SIGTERM.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// `/readyz` turns 503 while it still serves for the drain delay, then it drains.
    Drains,
    /// It stops accepting at once and drains (releases before the drain delay existed).
    Closes,
}

/// SIGTERM, then the gateway exits 0 (after `/readyz` turned 503 when it `Drains`).
pub fn stop(gw: &mut Gateway, how: Stop) {
    let mut proc = gw.proc.take().expect("a running gateway");
    let st = Command::new("kill")
        .args(["-TERM", &proc.child.id().to_string()])
        .status()
        .unwrap();
    assert!(st.success());
    if how == Stop::Drains {
        wait_ready(&gw.url(), 503);
    }
    let code = proc.child.wait().unwrap();
    assert!(code.success(), "gateway {} exit status {code:?}", gw.index);
}

/// `paygate bench` (the current binary) over every gateway, in the background.
pub fn start_bench(key: &str, gws: &[&Gateway], duration: &str) -> Child {
    let mut cmd = Command::new(super::BIN);
    cmd.args(["bench", "--secret-key", key, "--duration", duration]);
    cmd.args([
        "--warmup",
        "0s",
        "--bare-duration",
        "0s",
        "--concurrency",
        "8",
        "--json",
    ]);
    for gw in gws {
        cmd.args(["--url", &gw.url()]);
    }
    cmd.stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits for the bench; checks it made payments, every one approved or declined (no failed
/// request), and returns the number approved.
pub fn finish_bench(bench: Child) -> u64 {
    let out = bench.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s: Value =
        serde_json::from_str(text.lines().rfind(|l| l.starts_with('{')).unwrap()).unwrap();
    let failed: u64 = s["errors"]
        .as_object()
        .unwrap()
        .values()
        .filter_map(Value::as_u64)
        .sum();
    assert_eq!(failed, 0, "no failed request: {s}");
    eprintln!("resent after a reset: {}", s["resent_after_reset"]);
    let payments = s["payments"].as_u64().unwrap();
    assert!(payments > 0, "{s}");
    let approved = s["approved"].as_u64().unwrap();
    assert_eq!(approved + s["declined"].as_u64().unwrap(), payments, "{s}");
    approved
}

/// `POST /v1/refunds` of the whole of `payment_intent`: status and body.
pub async fn refund(base: &str, key: &str, payment_intent: &str) -> (u16, Value) {
    let r = reqwest::Client::new()
        .post(format!("{base}/v1/refunds"))
        .bearer_auth(key)
        .header("Idempotency-Key", format!("refund-{payment_intent}"))
        .form(&[("payment_intent", payment_intent)])
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}
