//! The runner the browser tests share: a Python script under `tests/browser/` driving Debian's
//! Chromium through Playwright against this build's `paygate` binary, bounded in time, its
//! output printed and its summary line checked. Missing Chromium or Playwright fails with how
//! to install them, unless `PAYGATE_SKIP_BROWSER_TESTS=1` (then the run is skipped).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub fn python() -> String {
    std::env::var("PAYGATE_PYTHON").unwrap_or_else(|_| "python3".into())
}

pub fn chromium() -> String {
    std::env::var("PAYGATE_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into())
}

/// What is missing to run the browser tests, with how to install it.
pub fn missing_tools() -> Vec<String> {
    let mut missing = Vec::new();
    if !Path::new(&chromium()).exists() {
        missing.push(format!(
            "Chromium at {} (install: apt-get install -y chromium; or set PAYGATE_CHROMIUM)",
            chromium()
        ));
    }
    let playwright = Command::new(python())
        .args(["-c", "import playwright.sync_api"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !playwright {
        missing.push(format!(
            "Playwright for Python in {} (install: {} -m pip install playwright==1.65.2; \
             never `playwright install`, the system Chromium is used)",
            python(),
            python()
        ));
    }
    missing
}

/// One browser run: `tests/browser/<script> --paygate BIN <args…>`.
pub struct BrowserRun<'a> {
    /// What the run tests, for the skip and failure messages.
    pub what: &'a str,
    /// The script's file name under `tests/browser/`.
    pub script: &'a str,
    /// Arguments after `--paygate BIN`.
    pub args: Vec<std::ffi::OsString>,
    /// Bounds a hang (the runs take 5–20 s).
    pub timeout: Duration,
    /// Text the output must contain (the script's summary line, e.g. `7 passed, 0 failed`).
    pub summary: &'a str,
}

/// Runs it; `None` when skipped, else the output (after the checks passed).
pub fn run(r: &BrowserRun<'_>) -> Option<String> {
    if std::env::var("PAYGATE_SKIP_BROWSER_TESTS").as_deref() == Ok("1") {
        eprintln!("skipped: PAYGATE_SKIP_BROWSER_TESTS=1 ({})", r.what);
        return None;
    }
    let missing = missing_tools();
    assert!(
        missing.is_empty(),
        "the browser tests need: {}. `bash .ci/run` installs both; \
         PAYGATE_SKIP_BROWSER_TESTS=1 skips them.",
        missing.join("; ")
    );
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dir = tempfile::tempdir().expect("tempdir");
    let out_path = dir.path().join("browser.out");
    let out = std::fs::File::create(&out_path).expect("output file");
    let mut child = Command::new(python())
        .arg(root.join("tests/browser").join(r.script))
        .args(["--paygate", super::BIN])
        .args(&r.args)
        .env("PAYGATE_CHROMIUM", chromium())
        .stdout(out.try_clone().expect("dup"))
        .stderr(out)
        .spawn()
        .expect("start python");
    let started = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break Some(s);
        }
        if started.elapsed() > r.timeout {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let text = std::fs::read_to_string(&out_path).unwrap_or_default();
    println!("{text}");
    let status =
        status.unwrap_or_else(|| panic!("{} still running after {:?}:\n{text}", r.what, r.timeout));
    assert!(status.success(), "{} failed:\n{text}", r.what);
    assert!(
        text.contains(r.summary),
        "{}: no `{}` line:\n{text}",
        r.what,
        r.summary
    );
    Some(text)
}
