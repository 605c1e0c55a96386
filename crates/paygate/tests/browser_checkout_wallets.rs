//! Runs the browser tests of the hosted checkout's Apple Pay and Samsung Pay buttons
//! (`tests/browser/test_checkout_wallets.py`: Debian's Chromium driven by Playwright for Python)
//! against this build's `paygate` binary. Chromium has neither wallet: the page is given a
//! stand-in `ApplePaySession` / Samsung Pay `PaymentRequest` that hands over REAL tokens made by
//! the independent generator (PyPI `cryptography`) for the keys registered with `paygate wallets
//! apple-pay|samsung-pay add`; the page's own script validates, posts and redirects. Checks: no
//! button without the wallet, Apple Pay and Samsung Pay each pay a session (session, charge's
//! wallet, balance transaction, signed webhook), a tampered token refused on the page, axe-core
//! with both buttons in Korean and English. Screenshots with `PAYGATE_CHECKOUT_SHOTS=DIR`.
//! Missing Chromium, Playwright or `cryptography` fails the test with how to install them,
//! unless `PAYGATE_SKIP_BROWSER_TESTS=1`.

mod common;

use common::browser::{BrowserRun, run};
use std::time::Duration;

#[test]
fn wallet_buttons_pay_checkout_sessions_in_a_real_browser() {
    let args = match std::env::var("PAYGATE_CHECKOUT_SHOTS") {
        Ok(dir) => vec!["--shots".into(), dir.into()],
        Err(_) => Vec::new(),
    };
    run(&BrowserRun {
        what: "browser tests of the checkout's wallet buttons",
        script: "test_checkout_wallets.py",
        args,
        // The whole run (tokens, start, six checks, stop) takes about 15 s; this bounds a hang.
        timeout: Duration::from_secs(120),
        summary: "6 passed, 0 failed",
    });
}
