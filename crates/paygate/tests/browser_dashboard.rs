//! Runs the browser tests of the dashboard (`tests/browser/test_dashboard.py`: Debian's
//! Chromium driven by Playwright for Python) against this build's `paygate` binary: login
//! with password + TOTP, search, refund from the UI, resend a webhook, lockout, CSRF, session
//! fixation, tenancy (404), inert markup, no framing, live updates over server-sent events,
//! and axe-core on every page in Korean and English. With `PAYGATE_DASHBOARD_SHOTS=DIR` the
//! run also saves each page's screenshot there (`docs/screenshots`). Missing Chromium or
//! Playwright fails the test with how to install them, unless `PAYGATE_SKIP_BROWSER_TESTS=1`.

mod common;

use common::browser::{BrowserRun, run};
use std::time::Duration;

#[test]
fn the_dashboard_works_and_holds_in_a_real_browser() {
    let args = match std::env::var("PAYGATE_DASHBOARD_SHOTS") {
        Ok(dir) => vec!["--shots".into(), dir.into()],
        Err(_) => Vec::new(),
    };
    run(&BrowserRun {
        what: "browser tests of the dashboard",
        script: "test_dashboard.py",
        args,
        // The whole run (users, start, thirteen checks, stop) took 60–75 s on a busy
        // machine; this bounds a hang.
        timeout: Duration::from_secs(180),
        summary: "13 passed, 0 failed",
    });
}
