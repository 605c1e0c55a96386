//! Runs the browser tests of the ISP (안전결제) page (`tests/browser/test_isp_page.py`, Debian's
//! Chromium driven by Playwright for Python) so that `cargo test` covers them:
//!
//! - the page's script against an ISP server written with Python's `cryptography`
//!   (`tests/browser/isp_mock.py`): the page and script are rendered here, so nothing but the
//!   script's own crypto is under test;
//! - the page end to end through this build's `paygate serve`, with the card-network and ISP
//!   simulators as separate processes (`--network-addr`, `--isp-url`).
//!
//! The Python side runs in a venv under the target dir (`--system-site-packages`, so a
//! system-wide Playwright is reused) with `cryptography` from PyPI. Missing Chromium or Python
//! fails the test with how to install it, unless `PAYGATE_SKIP_BROWSER_TESTS=1`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_paygate");
/// PBKDF2 with 600,000 iterations runs once per enrolment and per payment in each check.
const RUN_TIMEOUT: Duration = Duration::from_secs(180);
const PLAYWRIGHT: &str = "playwright==1.65.2";
const CRYPTOGRAPHY: &str = "cryptography==48.0.0";

/// Serializes the venv's creation between the tests of this file.
static VENV: Mutex<()> = Mutex::new(());

fn chromium() -> String {
    std::env::var("PAYGATE_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into())
}

fn skip() -> bool {
    if std::env::var("PAYGATE_SKIP_BROWSER_TESTS").as_deref() == Ok("1") {
        eprintln!("skipped: PAYGATE_SKIP_BROWSER_TESTS=1 (browser tests of the ISP page)");
        return true;
    }
    assert!(
        Path::new(&chromium()).exists(),
        "the ISP page's browser tests need Chromium at {} (apt-get install -y chromium, or set \
         PAYGATE_CHROMIUM); PAYGATE_SKIP_BROWSER_TESTS=1 skips them",
        chromium()
    );
    false
}

/// The venv's python, with Playwright and `cryptography` installed.
fn python() -> PathBuf {
    let _guard = VENV.lock().unwrap_or_else(|e| e.into_inner());
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("isp-browser-venv");
    let py = dir.join("bin/python");
    let ready = dir.join(".ready");
    if !ready.exists() {
        let ok = Command::new("python3")
            .args(["-m", "venv", "--system-site-packages"])
            .arg(&dir)
            .status()
            .is_ok_and(|s| s.success());
        assert!(
            ok,
            "python3 -m venv failed: install python3 and python3-venv"
        );
        let ok = Command::new(&py)
            .args(["-m", "pip", "install", "-q", PLAYWRIGHT, CRYPTOGRAPHY])
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "pip install {PLAYWRIGHT} {CRYPTOGRAPHY} failed");
        std::fs::write(&ready, "").expect("mark the venv ready");
    }
    py
}

/// The ISP page in Korean and English, its headers and its script, as the gateway serves
/// them, for the script to run against the mock ISP server.
fn write_fixtures(dir: &Path) {
    use paygate_ledger::Currency;
    use paygate_payer_pages::{
        Amount, ISP_SCRIPT, IspPageView, Locale, PageContext, Summary, isp_page,
    };
    let token = "1900000000.dG9rZW4tb2YtdGhlLWZpeHR1cmU";
    for locale in [Locale::Ko, Locale::En] {
        let view = IspPageView {
            summary: Summary {
                merchant: "Browser shop".into(),
                amount: Amount::new(35_000, Currency::KRW),
                card: None,
            },
            payment_intent: "pi_fixture".into(),
            merchant_account: "acct_fixture".into(),
            amount: 35_000,
            currency: "krw".into(),
            token: token.into(),
        };
        let page = isp_page(&PageContext::new(locale), &view);
        let headers: serde_json::Map<String, serde_json::Value> = page
            .headers
            .iter()
            .map(|(k, v)| (k.to_string(), serde_json::Value::from(v.as_str())))
            .collect();
        let tag = locale.tag();
        std::fs::write(dir.join(format!("isp_page.{tag}.html")), &page.html).expect("write");
        let headers = serde_json::Value::Object(headers).to_string();
        std::fs::write(dir.join(format!("isp_page.{tag}.headers.json")), headers).expect("write");
    }
    std::fs::write(dir.join("isp.js"), ISP_SCRIPT).expect("write");
    std::fs::write(dir.join("isp_page.token"), token).expect("write");
}

/// Runs the browser script with `args`; fails with its output unless every check passed.
/// With `PAYGATE_ISP_SHOTS=DIR` the run also saves its screenshots there (docs/screenshots).
fn run_browser(args: &[&str]) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let shots: Vec<String> = match std::env::var("PAYGATE_ISP_SHOTS") {
        Ok(dir) => vec!["--shots".into(), dir],
        Err(_) => Vec::new(),
    };
    let out_dir = tempfile::tempdir().expect("tempdir");
    let out_path = out_dir.path().join("browser.out");
    let out = std::fs::File::create(&out_path).expect("output file");
    let mut child = Command::new(python())
        .arg(root.join("tests/browser/test_isp_page.py"))
        .args(args)
        .args(&shots)
        .env("PAYGATE_CHROMIUM", chromium())
        .stdin(Stdio::null())
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
    let status = status.unwrap_or_else(|| panic!("still running after {RUN_TIMEOUT:?}:\n{text}"));
    assert!(status.success(), "browser tests failed:\n{text}");
    assert!(
        text.contains(" passed, 0 failed"),
        "no summary line:\n{text}"
    );
}

#[test]
fn isp_page_script_builds_what_an_independent_isp_server_accepts() {
    if skip() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    write_fixtures(dir.path());
    run_browser(&["--fixtures", dir.path().to_str().expect("utf-8 path")]);
}

#[test]
fn isp_page_and_isp_checkout_pay_end_to_end_in_chromium() {
    if skip() {
        return;
    }
    run_browser(&["--paygate", BIN, "--e2e"]);
}
