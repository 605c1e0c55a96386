//! Runs the browser tests of the hosted checkout and paygate.js (`tests/browser/test_checkout.py`:
//! Debian's Chromium driven by Playwright for Python) against this build's `paygate` binary,
//! so that `cargo test` covers them: a card checkout with and without JavaScript, a 3-D Secure
//! challenge, the 간편결제 round trip, 휴대폰 결제, 계좌이체 (the bank's pages) and 가상계좌
//! (transfer instructions, deposit), paygate.js on a merchant's page of another origin, and
//! axe-core (vendored, tests/browser/vendor/axe-core) on the page in Korean and English.
//! Missing Chromium or Playwright fails the test with how to install them, unless
//! `PAYGATE_SKIP_BROWSER_TESTS=1`.

mod common;

use common::browser::{BrowserRun, run};
use std::time::Duration;

#[test]
fn checkout_and_paygate_js_work_in_a_real_browser() {
    run(&BrowserRun {
        what: "browser tests of checkout",
        script: "test_checkout.py",
        args: Vec::new(),
        // The whole run (start, ten checks, stop) takes about 20 s; this bounds a hang.
        timeout: Duration::from_secs(120),
        summary: "10 passed, 0 failed",
    });
}
