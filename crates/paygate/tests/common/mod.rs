//! Helpers for the tests that run the `paygate` binary as operators do.
#![allow(dead_code)]

pub mod browser;
pub mod certs;
pub mod otlp_receiver;
pub mod pg_cluster;
pub mod previous_release;
pub mod receiver;
pub mod test_clock;

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub const BIN: &str = env!("CARGO_BIN_EXE_paygate");
pub const PAN: &str = "4242424242424242";

pub struct Proc {
    pub child: Child,
    pub log: std::path::PathBuf,
    /// The stdout line that said the process was ready.
    pub ready_line: String,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts `paygate args…`, logging to a file, and waits until `ready` appears on stdout.
pub fn spawn(args: &[&str], env: &[(&str, &str)], log: &Path, ready: &str) -> Proc {
    spawn_with(Path::new(BIN), args, env, log, ready)
}

/// [`spawn`] of another build of paygate (`bin`), e.g. the previous release.
pub fn spawn_with(
    bin: &Path,
    args: &[&str],
    env: &[(&str, &str)],
    log: &Path,
    ready: &str,
) -> Proc {
    let logf = std::fs::File::create(log).unwrap();
    let mut cmd = Command::new(bin);
    cmd.args(args)
        .stdout(Stdio::piped())
        .stderr(logf)
        .env_remove("NO_COLOR")
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
            // Written aside and renamed, so a reader never sees a truncated file.
            let tmp = out_log.with_extension("stdout.tmp");
            if std::fs::write(&tmp, &all).is_ok() {
                let _ = std::fs::rename(&tmp, &out_log);
            }
            if line.contains(&ready) {
                let _ = tx.send(line.clone());
            }
        }
    });
    let ready_line = match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(line) => line,
        Err(e) => {
            let logged = std::fs::read_to_string(log).unwrap_or_default();
            let lines: Vec<&str> = logged.lines().collect();
            let tail = &lines[lines.len().saturating_sub(20)..];
            panic!(
                "process became ready: {e}; its log ends:\n{}",
                tail.join("\n")
            )
        }
    };
    Proc {
        child,
        log: log.to_path_buf(),
        ready_line,
    }
}

pub fn cli(args: &[&str]) -> (bool, String) {
    let out = Command::new(BIN).args(args).output().expect("run paygate");
    let mut s = String::from_utf8_lossy(&out.stdout).to_string();
    s.push_str(&String::from_utf8_lossy(&out.stderr));
    (out.status.success(), s)
}

pub fn merchant(data: &str) -> (String, String) {
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

pub fn journal(sim_dir: &str) -> Vec<Value> {
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

pub fn pay_form() -> String {
    format!(
        "amount=12000&currency=krw&confirm=true&payment_method_data[type]=card&payment_method_data[card][number]={PAN}\
         &payment_method_data[card][exp_month]=12&payment_method_data[card][exp_year]=2034&payment_method_data[card][cvc]=123"
    )
}

pub async fn post(
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

/// A `paygate serve` process on its own SQLite data dir with one merchant.
pub struct Gateway {
    pub proc: Proc,
    pub data: String,
    pub key: String,
    pub base: String,
}

/// Creates a merchant under `dir/gw` and starts `paygate serve` there with `env`.
pub fn serve_with_merchant(dir: &Path, env: &[(&str, &str)]) -> Gateway {
    let data = dir.join("gw").to_str().unwrap().to_string();
    let (_, key) = merchant(&data);
    // Port 0: the gateway binds a free port itself and prints it (no race with another
    // process taking a port picked in advance).
    let proc = spawn(
        &[
            "serve",
            "--data-dir",
            &data,
            "--listen",
            "127.0.0.1:0",
            "--metrics-listen",
            "127.0.0.1:0",
        ],
        env,
        &dir.join("gw.log"),
        "paygate listening on",
    );
    let base = proc
        .ready_line
        .rsplit(' ')
        .next()
        .expect("the address in the ready line")
        .to_owned();
    Gateway {
        proc,
        data,
        key,
        base,
    }
}

pub fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
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

/// What a process spawned by [`spawn`] has printed on stdout so far.
pub fn stdout_of(p: &Proc) -> String {
    std::fs::read_to_string(p.log.with_extension("stdout")).unwrap_or_default()
}

/// The word after `prefix` on the first stdout line that starts with it.
pub fn printed(p: &Proc, prefix: &str) -> String {
    let out = stdout_of(p);
    out.lines()
        .find_map(|l| l.trim_start().strip_prefix(prefix))
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no line starting with {prefix:?} in\n{out}"))
        .to_string()
}

/// `paygate vault serve` on `127.0.0.1:port` with the certificates [`certs`] wrote into `dir`
/// (`vault.pem`/`vault.key`, clients checked against `ca.pem`) and its data in `dir/vault-data`.
pub fn start_vault(dir: &Path, port: u16) -> Proc {
    let listen = format!("127.0.0.1:{port}");
    let path = |f: &str| dir.join(f).to_str().unwrap().to_string();
    spawn(
        &[
            "vault",
            "serve",
            "--listen",
            &listen,
            "--tls-cert",
            &path("vault.pem"),
            "--tls-key",
            &path("vault.key"),
            "--client-ca",
            &path("ca.pem"),
            "--data-dir",
            &path("vault-data"),
        ],
        &[],
        &dir.join("vault.log"),
        "paygate vault listening on",
    )
}
