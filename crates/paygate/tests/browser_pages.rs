//! Runs the browser tests of the payer pages (`tests/browser/test_payer_pages.py`: Debian's
//! Chromium driven by Playwright for Python) against this build's `paygate` binary, so that
//! `cargo test` covers them. Missing Chromium or Playwright fails the test with how to install
//! them, unless `PAYGATE_SKIP_BROWSER_TESTS=1`.

mod common;

use common::browser::{BrowserRun, run};
use std::time::Duration;

/// Pages no route serves yet, rendered here for the browser to load (the script serves them
/// at `https://gateway.test/…` with their headers): `auto_post.html` and its
/// `auto_post.headers.json`, posting to `https://acs.test/challenge`.
fn write_fixtures(dir: &std::path::Path) {
    use paygate_payer_pages::{Locale, PageContext, WebUrl, auto_post};
    let ctx = PageContext::new(Locale::Ko);
    let action = WebUrl::parse("action", "https://acs.test/challenge").expect("url");
    let page = auto_post(
        &ctx,
        &action,
        &[
            ("creq", "eyJtZXNzYWdlVHlwZSI6IkNSZXEifQ=="),
            ("threeDSSessionData", "tok-1"),
        ],
        "카드 인증",
        "카드사 인증 페이지로 이동합니다.",
    );
    let headers: serde_json::Map<String, serde_json::Value> = page
        .headers
        .iter()
        .map(|(k, v)| (k.to_string(), serde_json::Value::from(v.as_str())))
        .collect();
    std::fs::write(dir.join("auto_post.html"), &page.html).expect("write");
    std::fs::write(
        dir.join("auto_post.headers.json"),
        serde_json::Value::Object(headers).to_string(),
    )
    .expect("write");
}

#[test]
fn payer_pages_work_in_a_real_browser() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_fixtures(dir.path());
    run(&BrowserRun {
        what: "browser tests of the payer pages",
        script: "test_payer_pages.py",
        args: vec!["--fixtures".into(), dir.path().into()],
        // The whole run (start, five page checks, stop) takes about 10 s; this bounds a hang.
        timeout: Duration::from_secs(90),
        summary: " passed, 0 failed",
    });
}
