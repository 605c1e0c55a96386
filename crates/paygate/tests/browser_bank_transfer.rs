//! Runs the browser test of 계좌이체 (`tests/browser/test_bank_transfer.py`: Debian's
//! Chromium driven by Playwright for Python, JavaScript off) against this build's `paygate`
//! binary with its in-process bank simulator and the bank's own login pages, so that
//! `cargo test` covers it. Missing Chromium or Playwright fails the test with how to install
//! them, unless `PAYGATE_SKIP_BROWSER_TESTS=1`.

mod common;

use common::browser::{BrowserRun, run};
use std::time::Duration;

#[test]
fn bank_transfer_works_in_a_real_browser() {
    run(&BrowserRun {
        what: "browser test of 계좌이체",
        script: "test_bank_transfer.py",
        args: Vec::new(),
        // The whole run (start, two transfers, stop) takes a few seconds; this bounds a hang.
        timeout: Duration::from_secs(90),
        summary: "2 passed, 0 failed",
    });
}
