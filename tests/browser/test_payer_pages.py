#!/usr/bin/env python3
"""Browser tests of the payer pages (/pay/…) in Debian's Chromium, driven by Playwright.

    python3 tests/browser/test_payer_pages.py --paygate target/debug/paygate
    python3 tests/browser/test_payer_pages.py --base-url http://127.0.0.1:8080 --secret-key sk_test_…

Each check opens a page as a payer would and looks at what the browser made of it: the text
and `lang` in Korean and English, the CSP header, no console error (a style or script the CSP
blocked is one), labels on every visible input, a 320 px wide layout, and the page without
JavaScript. Prints `N passed, N failed` and exits non-zero when anything failed.
Run by crates/paygate/tests/browser_pages.rs as part of `cargo test`."""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from harness import Checks, Gateway, chromium, parser  # noqa: E402

# Per navigation or wait, in milliseconds.
PAGE_TIMEOUT_MS = 10_000
# Where fixture pages (rendered by the Rust test, served by Playwright's router) appear to come
# from, and where their forms post.
FIXTURE_ORIGIN = "https://gateway.test"
ACS = "https://acs.test/challenge"

CHECKS = []


def check(fn):
    CHECKS.append(fn)
    return fn


def check_on_fixtures(fn):
    """A check of a page rendered by the Rust test (given with --fixtures)."""
    fn.needs_fixtures = True
    return check(fn)


class Visit:
    """One page load: the response, the page, and every console error and page error."""

    def __init__(self, browser, url, locale=None, javascript=True, width=390, before=None,
                 wait_until="load"):
        self.context = browser.new_context(
            locale=locale,
            java_script_enabled=javascript,
            viewport={"width": width, "height": 800},
        )
        self.page = self.context.new_page()
        self.page.set_default_timeout(PAGE_TIMEOUT_MS)
        self.errors = []
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        if before is not None:
            before(self.context)
        self.response = self.page.goto(url, wait_until=wait_until)

    def header(self, name):
        return self.response.headers.get(name)

    def text(self):
        return self.page.inner_text("body")

    def close(self):
        self.context.close()


def assert_sound(v, status=200):
    """What every payer page must be, whatever it says."""
    assert v.response.status == status, f"status {v.response.status}, want {status}"
    csp = v.header("content-security-policy")
    assert csp and "default-src 'none'" in csp and "'nonce-" in csp, f"CSP: {csp}"
    assert v.header("x-content-type-options") == "nosniff"
    assert v.header("cache-control") == "no-store"
    assert v.header("referrer-policy") == "no-referrer"
    # Chromium reports a document answered with an error status as a console error of its
    # own; that one is expected, anything else is not.
    own = f"the server responded with a status of {status}"
    errors = [
        e if isinstance(e, str) else e.text
        for e in v.errors
        if isinstance(e, str) or not (status >= 400 and own in e.text
                                      and e.location.get("url") == v.response.url)
    ]
    assert errors == [], f"console errors: {errors}"
    unlabeled = v.page.evaluate(
        """() => [...document.querySelectorAll('input, select, textarea')]
             .filter(e => e.type !== 'hidden')
             .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')
                          && !e.getAttribute('aria-labelledby'))
             .map(e => e.outerHTML)"""
    )
    assert unlabeled == [], f"inputs without a label: {unlabeled}"
    assert v.page.locator("main h1").count() == 1, "one <h1> inside <main>"
    styled = v.page.evaluate("() => getComputedStyle(document.querySelector('main')).maxWidth")
    assert styled != "none", "the nonce'd stylesheet applied (main has its max-width)"


@check
def status_page_in_korean_by_accept_language(gw, browser, fixtures):
    pi = gw.intent()
    v = Visit(browser, gw.status_url(pi), locale="ko-KR")
    try:
        assert_sound(v)
        assert v.page.get_attribute("html", "lang") == "ko"
        body = v.text()
        for want in ("결제가 완료되었습니다", "12,000원", "Browser shop", "4242"):
            assert want in body, f"{want!r} not in {body!r}"
        assert "4242424242424242" not in v.page.content()
    finally:
        v.close()


@check
def status_page_in_english_by_accept_language_and_by_the_query(gw, browser, fixtures):
    pi = gw.intent(amount=1000, currency="usd")
    for url, locale in ((gw.status_url(pi), "en-US"), (gw.status_url(pi, "&locale=en"), "ko-KR")):
        v = Visit(browser, url, locale=locale)
        try:
            assert_sound(v)
            assert v.page.get_attribute("html", "lang") == "en", url
            assert v.header("content-language") == "en"
            body = v.text()
            for want in ("Payment complete", "$10.00", "Visa"):
                assert want in body, f"{want!r} not in {body!r}"
        finally:
            v.close()


@check
def unknown_or_wrong_secret_is_a_404_page(gw, browser, fixtures):
    pi = gw.intent(card=None)
    wrong = f"{gw.base}/pay/payment_intents/{pi['id']}?client_secret=nope&locale=en"
    v = Visit(browser, wrong, locale="en-US")
    try:
        assert_sound(v, status=404)
        assert "Payment not found" in v.text()
    finally:
        v.close()


@check
def status_page_without_javascript(gw, browser, fixtures):
    pi = gw.intent()
    v = Visit(browser, gw.status_url(pi, "&locale=en"), javascript=False)
    try:
        assert_sound(v)
        assert "Payment complete" in v.text()
    finally:
        v.close()


@check
def status_page_fits_a_320px_screen(gw, browser, fixtures):
    pi = gw.intent(amount=99_999_999)
    v = Visit(browser, gw.status_url(pi), locale="ko-KR", width=320)
    try:
        assert_sound(v)
        overflow = v.page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{overflow}px of horizontal scrolling at 320px"
        size = v.page.evaluate("() => parseFloat(getComputedStyle(document.body).fontSize)")
        assert size >= 16, f"body text is {size}px"
    finally:
        v.close()


class Fixture:
    """Serves the fixture page `name` (HTML and headers from the Rust test) at FIXTURE_ORIGIN,
    and records what reaches the ACS."""

    def __init__(self, fixtures, name):
        with open(os.path.join(fixtures, f"{name}.html"), encoding="utf-8") as f:
            self.html = f.read()
        with open(os.path.join(fixtures, f"{name}.headers.json"), encoding="utf-8") as f:
            self.headers = json.load(f)
        self.url = f"{FIXTURE_ORIGIN}/{name}"
        self.posts = []

    def install(self, context):
        context.route(self.url, lambda r: r.fulfill(status=200, headers=self.headers, body=self.html))

        def acs(route):
            self.posts.append((route.request.method, route.request.post_data or ""))
            route.fulfill(status=200, content_type="text/html; charset=utf-8",
                          body="<!doctype html><title>ACS</title><p>ACS</p>")

        context.route(f"{ACS}*", acs)

    def assert_posted(self):
        assert len(self.posts) == 1, f"posts to the ACS: {self.posts}"
        method, body = self.posts[0]
        assert method == "POST", method
        assert "creq=eyJtZXNzYWdlVHlwZSI6IkNSZXEifQ%3D%3D" in body, body
        assert "threeDSSessionData=tok-1" in body, body


@check_on_fixtures
def auto_post_submits_itself_by_its_nonced_script(gw, browser, fixtures):
    fx = Fixture(fixtures, "auto_post")
    v = Visit(browser, fx.url, locale="ko-KR", before=fx.install, wait_until="commit")
    try:
        v.page.wait_for_url(f"{ACS}*")
        fx.assert_posted()
        assert v.errors == [], f"console errors (a script the CSP blocked?): {v.errors}"
        assert "'nonce-" in v.header("content-security-policy")
    finally:
        v.close()


@check_on_fixtures
def auto_post_without_javascript_shows_a_button_that_posts(gw, browser, fixtures):
    fx = Fixture(fixtures, "auto_post")
    v = Visit(browser, fx.url, locale="ko-KR", javascript=False, before=fx.install)
    try:
        assert_sound(v)
        assert v.page.get_attribute("html", "lang") == "ko"
        button = v.page.locator("form button[type=submit]")
        assert button.is_visible(), "the <noscript> button shows without JavaScript"
        assert fx.posts == [], "nothing posted before the payer pressed the button"
        v.page.keyboard.press("Tab")
        ring = v.page.evaluate(
            """() => { const s = getComputedStyle(document.activeElement);
                       return [document.activeElement.tagName, s.outlineStyle, s.outlineWidth]; }"""
        )
        assert ring == ["BUTTON", "solid", "3px"], f"keyboard focus ring: {ring}"
        button.click()
        v.page.wait_for_url(f"{ACS}*")
        fx.assert_posted()
    finally:
        v.close()


def main():
    ap = parser(__doc__.splitlines()[0], paygate_required=False)
    ap.add_argument("--base-url", help="a running gateway instead")
    ap.add_argument("--secret-key", help="a test-mode secret key of the running gateway")
    ap.add_argument("--fixtures", help="directory of pages rendered by the Rust test "
                    "(auto_post.html …); without it their checks are skipped")
    args = ap.parse_args()
    if args.paygate:
        gw = Gateway.start(args.paygate)
    elif args.base_url and args.secret_key:
        gw = Gateway(args.base_url, args.secret_key)
    else:
        ap.error("give --paygate BIN, or --base-url URL with --secret-key KEY")
    checks = Checks()
    try:
        with chromium() as browser:
            for fn in CHECKS:
                if getattr(fn, "needs_fixtures", False) and args.fixtures is None:
                    checks.skip(fn.__name__, "no --fixtures")
                else:
                    checks.run(fn.__name__, fn, gw, browser, args.fixtures)
    finally:
        gw.stop()
    return checks.summary()


if __name__ == "__main__":
    sys.exit(main())
