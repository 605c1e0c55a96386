//! The official `stripe` Python library for the tests that drive paygate with it: its venv
//! (`pip install stripe==16.1.0` under the target dir, once) and a bounded runner of the
//! scripts in `tests/data/stripe_python/`. Without python3 the tests fail, unless
//! `PAYGATE_SKIP_PYTHON=1`.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const STRIPE_VERSION: &str = "16.1.0";

/// Serializes the venv's creation: the tests of this file run in parallel threads and would
/// otherwise race to create the same directory.
static VENV: Mutex<()> = Mutex::new(());

pub fn venv() -> Option<PathBuf> {
    if std::env::var("PAYGATE_SKIP_PYTHON").as_deref() == Ok("1") {
        eprintln!("skipped: PAYGATE_SKIP_PYTHON=1");
        return None;
    }
    let _creating = VENV.lock().unwrap_or_else(|p| p.into_inner());
    let dir =
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("stripe-venv-{STRIPE_VERSION}"));
    let py = dir.join("bin/python");
    let marker = dir.join(".installed");
    if !marker.exists() {
        let ok = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&dir)
            .status();
        assert!(
            ok.is_ok_and(|s| s.success()),
            "python3 -m venv failed: install python3 and python3-venv (or set PAYGATE_SKIP_PYTHON=1)"
        );
        let ok = Command::new(&py)
            .args([
                "-m",
                "pip",
                "install",
                "-q",
                &format!("stripe=={STRIPE_VERSION}"),
            ])
            .status()
            .expect("pip runs");
        assert!(ok.success(), "pip install stripe=={STRIPE_VERSION} failed");
        std::fs::write(&marker, b"ok").unwrap();
    }
    Some(py)
}

/// How long one script may run before it is killed (a hung request must not hang the suite).
const SCRIPT_LIMIT: Duration = Duration::from_secs(30);

/// Runs `script` with the venv's python (off the async runtime); fails the test with the
/// script's output unless it exits with 0. Returns its stdout.
pub async fn run_python(py: &Path, script: &Path, args: &[&str]) -> String {
    let (py, script) = (py.to_path_buf(), script.to_path_buf());
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    tokio::task::spawn_blocking(move || run_bounded(&py, &script, &args))
        .await
        .expect("python runner")
        .unwrap_or_else(|failure| panic!("{failure}"))
}

/// Runs the script, killed after [`SCRIPT_LIMIT`]; its stdout, or why it failed with its output.
pub fn run_bounded(py: &Path, script: &Path, args: &[String]) -> Result<String, String> {
    let logs = tempfile::tempdir().expect("tempdir");
    let (out_path, err_path) = (logs.path().join("stdout"), logs.path().join("stderr"));
    let mut child = Command::new(py)
        .arg(script)
        .args(args)
        .stdout(Stdio::from(std::fs::File::create(&out_path).unwrap()))
        .stderr(Stdio::from(std::fs::File::create(&err_path).unwrap()))
        .spawn()
        .expect("python starts");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("python waits") {
            break Some(status);
        }
        if started.elapsed() > SCRIPT_LIMIT {
            child.kill().expect("python killed");
            child.wait().expect("python reaped");
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let stdout = std::fs::read_to_string(&out_path).unwrap_or_default();
    let stderr = std::fs::read_to_string(&err_path).unwrap_or_default();
    match status {
        Some(s) if s.success() => Ok(stdout),
        Some(s) => Err(format!(
            "{} failed ({s}):\n{stdout}\n{stderr}",
            script.display()
        )),
        None => Err(format!(
            "{} killed after {SCRIPT_LIMIT:?}:\n{stdout}\n{stderr}",
            script.display()
        )),
    }
}

/// The last line a script printed, as JSON.
pub fn last_json(stdout: &str) -> serde_json::Value {
    let line = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}
