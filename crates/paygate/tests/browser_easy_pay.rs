//! Runs the browser test of the 간편결제 wallet page (`tests/browser/test_easy_pay.py`:
//! Debian's Chromium driven by Playwright for Python, JavaScript off) against this build's
//! `paygate` binary with its in-process SMS simulator, so that `cargo test` covers it. Missing
//! Chromium or Playwright fails the test with how to install them, unless
//! `PAYGATE_SKIP_BROWSER_TESTS=1`.

mod common;

use common::browser::{BrowserRun, run};
use std::time::Duration;

#[test]
fn easy_pay_wallet_works_in_a_real_browser() {
    run(&BrowserRun {
        what: "browser test of the wallet page",
        script: "test_easy_pay.py",
        args: Vec::new(),
        // The whole run (start, four wallet flows, stop) takes about 15 s; this bounds a hang.
        timeout: Duration::from_secs(90),
        summary: "5 passed, 0 failed",
    });
}
