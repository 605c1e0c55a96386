#!/usr/bin/env python3
"""Browser tests of the dashboard (/dashboard) in Debian's Chromium, driven by Playwright:

    python3 tests/browser/test_dashboard.py --paygate target/debug/paygate [--shots DIR]

Dashboard users are made with the CLI before `paygate serve` starts; each logs in with its
password and a TOTP code computed here (RFC 6238). The checks use the dashboard as staff
would — search, refund after the confirmation, resend a webhook — and then ask the API what
happened (the refund, its balance transaction, its event; the webhook delivered again). The
security checks: lockout after 10 wrong passwords, forms without or with a forged CSRF token
refused, the session id changed at each login step (a planted one worth nothing), another
merchant's payment a 404, markup in metadata and product names inert, the dashboard never
framed. A payment made through the API appears in the open list without a reload (server-
sent events, under the page's CSP). axe-core checks every page in Korean and English; with
`--shots`, each is saved as `dashboard-<page>.<lang>.png`. Prints `N passed, N failed`.
Run by crates/paygate/tests/browser_dashboard.rs."""

import os
import sys
import urllib.error

sys.path.insert(0, os.path.dirname(__file__))
from harness import Checks, Gateway, chromium, parser, shoot  # noqa: E402
from dashboard_kit import (PASSWORD, Merchant, axe_violations, context,  # noqa: E402
                           create_merchant, create_user, login, password_step)

XSS = '<img src=x onerror="window.__xss=1">'
SCRIPT = "<script>window.__xss=2</script>"
USERS = {"ko": "ko@shop.example", "en": "en@shop.example", "live": "live@shop.example",
         "lock": "lock@shop.example", "other": "staff@other.example"}
TEXTS = {"ko": {"locked": "잠겼습니다", "expired": "만료", "done": "처리되었습니다"},
         "en": {"locked": "locked", "expired": "expired", "done": "Done."}}
PAGES = ["payments", "payment", "refund", "charts", "checkout_sessions", "checkout_session",
         "customers", "webhooks", "balance", "api_keys"]


def prepare(binary):
    def run(data, merchant):
        other = create_merchant(binary, data, "Other shop")
        users = {k: create_user(binary, data, email, merchant["id"])
                 for k, email in USERS.items() if k != "other"}
        users["other"] = create_user(binary, data, USERS["other"], other["id"])
        return {"users": users, "other": other}
    return run


class World:
    """The gateway, the browser, the merchant's server, the logged-in contexts and the
    objects the checks look at."""

    def __init__(self, gw, browser, args):
        self.gw, self.browser, self.args = gw, browser, args
        self.users = gw.prepared["users"]
        self.other = gw.prepared["other"]
        self.merchant = Merchant(f"{gw.base}/dashboard/login")
        self.pages = {}

    def seed(self):
        gw = self.gw
        ep = gw.api("/v1/webhook_endpoints", {"url": f"{self.merchant.origin}/hook",
                                               "enabled_events[0]": "payment_intent.succeeded"})
        self.endpoint = ep["id"]
        self.paid = gw.intent(amount=22222, extra={"metadata[note]": XSS,
                                                    "description": SCRIPT})
        self.refundable = gw.intent(amount=33333)
        self.declined_attempt()
        gw.api("/v1/customers", {"email": "kim@example.com", "name": "김민지"})
        self.session = gw.api("/v1/checkout/sessions", {
            "mode": "payment", "success_url": "https://shop.test/done",
            "line_items[0][price_data][currency]": "krw",
            "line_items[0][price_data][unit_amount]": "15000",
            "line_items[0][price_data][product_data][name]": f"티셔츠 {XSS}",
            "line_items[0][quantity]": "2", "metadata[order]": XSS})
        self.theirs = gw.api("/v1/payment_intents", {
            "amount": "5000", "currency": "krw", "confirm": "true",
            "payment_method_data[type]": "card",
            "payment_method_data[card][number]": "4242424242424242",
            "payment_method_data[card][exp_month]": "12",
            "payment_method_data[card][exp_year]": "2034",
            "payment_method_data[card][cvc]": "123"}, key=self.other["secret_key"])

    def declined_attempt(self):
        """A card declined for insufficient funds (a 402 from the API), for the charts."""
        try:
            self.gw.intent(amount=44444, card="4000000000009995")
        except urllib.error.HTTPError as e:
            assert e.code == 402, e.code
        else:
            raise AssertionError("the card was not declined")

    def logged_in(self, who, lang, check=None, **extra):
        """A page logged in as `who` (one login per user: a TOTP code is good once)."""
        ctx = context(self.browser, lang, **extra)
        page = ctx.new_page()
        login(page, self.gw, self.users[who], check)
        self.pages[who] = page
        return page

    def url(self, path):
        return f"{self.gw.base}{path}"


def login_changes_the_session_id_at_each_step(w, lang):
    """Password + TOTP (axe on both forms); a session id planted before the login is replaced
    after the password and again after the code, and is worth nothing afterwards."""
    ctx = context(w.browser, lang, bypass_csp=True)
    planted = {"name": "pgdash_session", "value": "planted" + "0" * 36,
               "url": w.gw.base + "/dashboard"}
    ctx.add_cookies([planted])
    page = ctx.new_page()

    def check(name):
        assert axe_violations(page) == [], name
        shoot(page, w.args.shots, f"dashboard-{name}.{lang}.png")

    after_password, after_code = login(page, w.gw, w.users[lang], check)
    assert after_password["value"] != planted["value"]
    assert after_code["value"] not in (planted["value"], after_password["value"])
    assert after_code["httpOnly"] and after_code["sameSite"] == "Strict", after_code
    w.pages[lang] = page
    for old in (planted["value"], after_password["value"]):
        stale = context(w.browser, lang)
        try:
            stale.add_cookies([{**planted, "value": old}])
            p = stale.new_page()
            p.goto(w.url("/dashboard/payments"))
            assert p.url.endswith("/dashboard/login"), (old, p.url)
        finally:
            stale.close()


def every_page_passes_axe(w, lang):
    """axe-core finds nothing on every page of the logged-in dashboard."""
    page = w.pages[lang]
    paths = {"payments": "/dashboard/payments",
             "payment": f"/dashboard/payments/{w.paid['id']}",
             "refund": f"/dashboard/payments/{w.paid['id']}/refund",
             "charts": "/dashboard/charts",
             "checkout_sessions": "/dashboard/checkout_sessions",
             "checkout_session": f"/dashboard/checkout_sessions/{w.session['id']}",
             "customers": "/dashboard/customers", "webhooks": "/dashboard/webhooks",
             "balance": "/dashboard/balance", "api_keys": "/dashboard/api_keys"}
    for name in PAGES:
        resp = page.goto(w.url(paths[name]))
        assert resp.status == 200, (name, resp.status)
        assert page.get_attribute("html", "lang") == lang
        found = axe_violations(page)
        assert found == [], (name, found)
        shoot(page, w.args.shots, f"dashboard-{name}.{lang}.png")


def search_finds_payments_by_amount_and_id(w):
    page = w.pages["ko"]
    page.goto(w.url("/dashboard/payments"))
    page.fill("#q", "33333")
    with page.expect_navigation():
        page.click("form.filters button[type=submit]")
    rows = page.locator("#payment-list tbody tr")
    assert rows.count() == 1 and w.refundable["id"] in rows.inner_text(), rows.all_inner_texts()
    page.fill("#q", w.paid["id"])
    with page.expect_navigation():
        page.click("form.filters button[type=submit]")
    assert rows.count() == 1 and w.paid["id"] in rows.inner_text()
    page.fill("#q", "")
    page.select_option("#status", "succeeded")
    page.fill("#last4", "9995")
    with page.expect_navigation():
        page.click("form.filters button[type=submit]")
    assert page.locator("#payment-list tbody tr").count() == 0


def refund_from_the_ui_after_confirmation(w):
    """Refund → the confirmation page → Confirm: the refund, its ledger posting and event."""
    page, pi = w.pages["en"], w.refundable
    page.goto(w.url(f"/dashboard/payments/{pi['id']}"))
    with page.expect_navigation():
        page.click(f"a[href='/dashboard/payments/{pi['id']}/refund']")
    assert "Refund this amount?" in page.inner_text("main")
    page.fill("#amount", "30000")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert TEXTS["en"]["done"] in page.inner_text("[role=status]")
    refunds = w.gw.get(f"/v1/refunds?payment_intent={pi['id']}")["data"]
    assert [(r["amount"], r["status"]) for r in refunds] == [(30000, "succeeded")], refunds
    bt = w.gw.get(f"/v1/balance_transactions/{refunds[0]['balance_transaction']}")
    assert bt["amount"] == -30000 and bt["type"] == "refund", bt
    charge = w.gw.get(f"/v1/charges/{pi['latest_charge']}")
    assert charge["amount_refunded"] == 30000, charge
    events = w.gw.get("/v1/events?type=charge.refunded")["data"]
    assert any(e["data"]["object"]["id"] == charge["id"] for e in events), events


def resend_a_webhook_from_the_ui(w):
    """Resend on a delivered event: the merchant's server receives the same event again."""
    events = w.gw.get("/v1/events?type=payment_intent.succeeded")["data"]
    event = next(e for e in events if e["data"]["object"]["id"] == w.paid["id"])
    w.merchant.deliveries(event["id"], 1)
    page = w.pages["ko"]
    page.goto(w.url("/dashboard/webhooks"))
    with page.expect_navigation():
        page.locator(f"form:has(input[name=event][value='{event['id']}']) button").first.click()
    assert len(w.merchant.deliveries(event["id"], 2)) >= 2


def csrf_refused_without_and_with_a_forged_token(w):
    """The refund form posted without its token, then with a forged one: 403, no refund."""
    page, pi = w.pages["ko"], w.paid
    for forge in ("el => el.remove()", "el => { el.value = 'forged.' + el.value.slice(7); }"):
        page.goto(w.url(f"/dashboard/payments/{pi['id']}/refund"))
        page.eval_on_selector("main form input[name=csrf]", forge)
        with page.expect_navigation() as nav:
            page.click("main form button[type=submit]")
        assert nav.value.status == 403, nav.value.status
        assert TEXTS["ko"]["expired"] in page.inner_text("[role=alert]")
    assert w.gw.get(f"/v1/refunds?payment_intent={pi['id']}")["data"] == []


def lockout_after_ten_wrong_passwords(w):
    email, secret = w.users["lock"]
    ctx = context(w.browser, "ko")
    try:
        page = ctx.new_page()
        for _ in range(10):
            password_step(page, w.gw, email, "not the password at all")
            assert page.url.endswith("/dashboard/login"), page.url
        password_step(page, w.gw, email, PASSWORD)
        assert TEXTS["ko"]["locked"] in page.inner_text("[role=alert]")
        assert page.url.endswith("/dashboard/login"), "the right password is refused too"
    finally:
        ctx.close()


def another_merchants_payment_is_a_404(w):
    page = w.logged_in("other", "en")
    for path in (f"/dashboard/payments/{w.paid['id']}",
                 f"/dashboard/checkout_sessions/{w.session['id']}",
                 f"/dashboard/payments/{w.paid['id']}/refund"):
        assert page.goto(w.url(path)).status == 404, path
    page.goto(w.url("/dashboard/payments"))
    assert w.paid["id"] not in page.inner_text("main")
    assert w.theirs["id"] in page.inner_text("main")
    page.context.close()


def markup_in_metadata_and_product_names_is_inert(w):
    """Shown as text (CSP bypassed here, so only the escaping can keep it inert)."""
    page = w.pages["en"]
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    for path, texts in ((f"/dashboard/payments/{w.paid['id']}", (XSS, SCRIPT)),
                        (f"/dashboard/checkout_sessions/{w.session['id']}", (XSS, "티셔츠 " + XSS))):
        page.goto(w.url(path))
        main = page.inner_text("main")
        assert all(t in main for t in texts), main
        assert page.locator("main img, main script").count() == 0
        assert page.evaluate("window.__xss") is None
    assert dialogs == []


def the_dashboard_is_never_framed(w):
    ctx = context(w.browser, "en")
    try:
        page = ctx.new_page()
        headers = page.goto(w.url("/dashboard/login")).headers
        assert headers["x-frame-options"] == "DENY", headers
        assert "frame-ancestors 'none'" in headers["content-security-policy"], headers
        page.goto(f"{w.merchant.origin}/frame.html")
        child = page.frame_locator("#f")
        assert child.locator("#password").count() == 0, "the login form rendered in a frame"
        # The browser refused it (its error page), rather than not having tried.
        framed = [f.url for f in page.frames if f != page.main_frame]
        assert framed and all(u.startswith("chrome-error://") for u in framed), framed
    finally:
        ctx.close()


def a_payment_made_through_the_api_appears_without_reload(w):
    """Under the page's own CSP (no bypass): the live script and its stream are allowed."""
    page = w.logged_in("live", "en")
    blocked = []
    page.on("console", lambda m: blocked.append(m.text) if "Content Security" in m.text else None)
    navigations = []
    page.on("framenavigated", lambda f: navigations.append(f.url) if f == page.main_frame else None)
    # The stream is open (it took its starting point before it answered).
    page.wait_for_selector("#live-status[data-live=on]", state="attached")
    pi = w.gw.intent(amount=54321)
    page.wait_for_selector(f"#payment-list a[href='/dashboard/payments/{pi['id']}']")
    assert navigations == [], navigations
    assert page.inner_text("#live-status") == "The payments list was updated."
    assert blocked == [], blocked
    page.context.close()


CHECKS = [
    ("login_changes_the_session_id_at_each_step_ko",
     lambda w: login_changes_the_session_id_at_each_step(w, "ko")),
    ("login_changes_the_session_id_at_each_step_en",
     lambda w: login_changes_the_session_id_at_each_step(w, "en")),
    ("every_page_passes_axe_ko", lambda w: every_page_passes_axe(w, "ko")),
    ("every_page_passes_axe_en", lambda w: every_page_passes_axe(w, "en")),
    ("search_finds_payments_by_amount_and_id", search_finds_payments_by_amount_and_id),
    ("csrf_refused_without_and_with_a_forged_token", csrf_refused_without_and_with_a_forged_token),
    ("refund_from_the_ui_after_confirmation", refund_from_the_ui_after_confirmation),
    ("resend_a_webhook_from_the_ui", resend_a_webhook_from_the_ui),
    ("lockout_after_ten_wrong_passwords", lockout_after_ten_wrong_passwords),
    ("another_merchants_payment_is_a_404", another_merchants_payment_is_a_404),
    ("markup_in_metadata_and_product_names_is_inert", markup_in_metadata_and_product_names_is_inert),
    ("the_dashboard_is_never_framed", the_dashboard_is_never_framed),
    ("a_payment_made_through_the_api_appears_without_reload",
     a_payment_made_through_the_api_appears_without_reload),
]


def main():
    args = parser(shots=True, only=True).parse_args()
    gw = Gateway.start(args.paygate, prepare=prepare(args.paygate))
    checks = Checks(args.k)
    w = None
    try:
        with chromium() as browser:
            w = World(gw, browser, args)
            w.seed()
            for name, fn in CHECKS:
                checks.run(name, fn, w)
    finally:
        if w is not None:
            w.merchant.stop()
        gw.stop()
    return checks.summary()


if __name__ == "__main__":
    sys.exit(main())
