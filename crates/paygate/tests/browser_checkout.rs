//! Runs the browser tests of the hosted checkout and paygate.js (`tests/browser/test_checkout.py`:
//! Debian's Chromium driven by Playwright for Python) against this build's `paygate` binary,
//! so that `cargo test` covers them: a card checkout with and without JavaScript, a 3-D Secure
//! challenge, the 간편결제 round trip, paygate.js on a merchant's page of another origin, and
//! axe-core (vendored, tests/browser/vendor/axe-core) on the page in Korean and English.
//! Missing Chromium or Playwright fails the test with how to install them, unless
//! `PAYGATE_SKIP_BROWSER_TESTS=1`.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_paygate");
/// The whole run (start, seven checks, stop) takes about 20 s; this bounds a hang.
const RUN_TIMEOUT: Duration = Duration::from_secs(120);

fn python() -> String {
    std::env::var("PAYGATE_PYTHON").unwrap_or_else(|_| "python3".into())
}

fn chromium() -> String {
    std::env::var("PAYGATE_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into())
}

/// What is missing to run the browser tests, with how to install it.
fn missing_tools() -> Vec<String> {
    let mut missing = Vec::new();
    if !std::path::Path::new(&chromium()).exists() {
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

#[test]
fn checkout_and_paygate_js_work_in_a_real_browser() {
    if std::env::var("PAYGATE_SKIP_BROWSER_TESTS").as_deref() == Ok("1") {
        eprintln!("skipped: PAYGATE_SKIP_BROWSER_TESTS=1 (browser tests of checkout)");
        return;
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
        .arg(root.join("tests/browser/test_checkout.py"))
        .args(["--paygate", BIN])
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
        if started.elapsed() > RUN_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let text = std::fs::read_to_string(&out_path).unwrap_or_default();
    println!("{text}");
    let status = status
        .unwrap_or_else(|| panic!("browser tests still running after {RUN_TIMEOUT:?}:\n{text}"));
    assert!(status.success(), "browser tests failed:\n{text}");
    assert!(
        text.contains("7 passed, 0 failed"),
        "not every check ran and passed:\n{text}"
    );
}
