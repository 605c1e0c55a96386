#!/usr/bin/env python3
"""Browser tests of the ISP (안전결제) payer page in Debian's Chromium, driven by Playwright.

    python3 tests/browser/test_isp_page.py --fixtures DIR            # the client against a mock
    python3 tests/browser/test_isp_page.py --paygate target/debug/paygate --e2e [--shots DIR]

With --fixtures (the page and script rendered by crates/paygate/tests/browser_isp.rs) the page
is served as https://gateway.test/pay/isp/… by Playwright's router, and its calls are answered
by tests/browser/isp_mock.py, an ISP server written with Python's `cryptography`: the CSR, the
JWE and the DER signature the script builds by hand are checked by code that shares nothing
with paygate's. With --e2e the page is the gateway's own (`paygate serve` with its in-process
ISP simulator): enrol, reload, pay, land on the shop's return_url with the intent succeeded;
and the hosted checkout with ISP chosen, through the ISP page to the session's success_url.
Both check IndexedDB (no card number in clear, a non-extractable key) and a wrong password
(a clear message in the page's language, nothing sent). Prints `N passed, N failed`."""

import json
import os
import sys
import traceback
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
from harness import Checks, Gateway, chromium, parser, shoot  # noqa: E402
from isp_mock import MockIsp  # noqa: E402

PAGE_TIMEOUT_MS = 20_000
ORIGIN = "https://gateway.test"
SHOP = "https://shop.test/checkout/done"
CARD = {"number": "4242424242424242", "exp": "12/34", "cvc": "123"}
PASSWORD = "isp-pass-2468"
FIXTURE = {"payment_intent": "pi_fixture", "merchant": "acct_fixture", "amount": 35000,
           "currency": "krw"}
TEXTS = {
    "ko": {"wrong": "ISP 비밀번호가 맞지 않습니다", "enrolled": "카드가 등록되었습니다",
           "title": "ISP 안전결제"},
    "en": {"wrong": "That ISP password is not right", "enrolled": "Your card is registered",
           "title": "ISP secure payment"},
}

# What IndexedDB holds, as the page's origin sees it: every stored byte array as text, and the
# key pair's properties.
READ_WALLET = """async () => {
  const db = await new Promise((ok, fail) => {
    const r = indexedDB.open("paygate-isp"); r.onsuccess = () => ok(r.result); r.onerror = fail; });
  const w = await new Promise((ok) => {
    const r = db.transaction("wallet").objectStore("wallet").get("default");
    r.onsuccess = () => ok(r.result); });
  db.close();
  if (!w) return null;
  const bytes = (a) => Array.from(new Uint8Array(a.buffer || a)).join(",");
  const latin = (a) => String.fromCharCode(...new Uint8Array(a.buffer || a));
  return {
    fields: Object.keys(w).sort(), last4: w.last4, serial: w.serial, certificate: w.certificate,
    privateExtractable: w.keyPair.privateKey.extractable,
    privateType: w.keyPair.privateKey.type, curve: w.keyPair.privateKey.algorithm.namedCurve,
    usages: w.keyPair.privateKey.usages, cardFields: Object.keys(w.card).sort(),
    iterations: w.card.iterations, saltLen: w.card.salt.length, ivLen: w.card.iv.length,
    stored: JSON.stringify({...w, keyPair: null}) + latin(w.card.ciphertext) + bytes(w.card.ciphertext),
  };
}"""


def assert_wallet_safe(page, number):
    w = page.evaluate(READ_WALLET)
    assert w is not None, "a wallet in IndexedDB after enrolment"
    assert w["privateExtractable"] is False, "the private key is not extractable"
    assert w["privateType"] == "private" and w["curve"] == "P-256", w
    assert w["usages"] == ["sign"], w["usages"]
    assert w["cardFields"] == ["ciphertext", "iterations", "iv", "salt"], w["cardFields"]
    assert w["iterations"] == 600000 and w["saltLen"] == 16 and w["ivLen"] == 12, w
    assert w["last4"] == number[-4:]
    for needle in (number, number[:6], ",".join(number)):
        assert needle not in w["stored"], f"{needle!r} found in IndexedDB"
    assert "-----BEGIN CERTIFICATE-----" in w["certificate"]
    return w


class Browser:
    # A common phone: 390 × 844 CSS pixels (at 3× density for the docs' screenshots).
    def __init__(self, browser, locale, scale=1):
        self.context = browser.new_context(locale=locale, viewport={"width": 390, "height": 844},
                                           device_scale_factor=scale)
        self.page = self.context.new_page()
        self.page.set_default_timeout(PAGE_TIMEOUT_MS)
        self.errors = []
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.context.route(f"{SHOP}*", lambda r: r.fulfill(
            status=200, content_type="text/html", body="<!doctype html><title>shop</title><p>shop"))

    def enrol(self, password=PASSWORD, card=CARD):
        p = self.page
        p.wait_for_selector("#isp-enrol:not([hidden])")
        p.fill("#isp-number", card["number"])
        p.fill("#isp-exp", card["exp"])
        p.fill("#isp-cvc", card["cvc"])
        p.fill("#isp-new-password", password)
        p.fill("#isp-password-again", password)
        p.click("#isp-enrol button[type=submit]")
        p.wait_for_selector("#isp-pay:not([hidden])")

    def pay(self, password):
        self.page.fill("#isp-password", password)
        self.page.click("#isp-pay button[type=submit]")

    def error_text(self):
        self.page.wait_for_selector("#isp-error:not([hidden])")
        return self.page.inner_text("#isp-error")

    def close(self):
        self.context.close()


def assert_page_sound(resp, lang):
    csp = resp.headers.get("content-security-policy", "")
    assert "default-src 'none'" in csp and "connect-src 'self'" in csp, csp
    assert "form-action 'none'" in csp and "'nonce-" in csp, csp
    assert resp.headers.get("content-language") == lang


# ---- against the mock ISP (fixtures) -------------------------------------------------------

class Fixture:
    """Serves the rendered page and script at ORIGIN, answers the script's calls with MockIsp,
    and records every call."""

    def __init__(self, fixtures, lang):
        with open(os.path.join(fixtures, f"isp_page.{lang}.html"), encoding="utf-8") as f:
            self.html = f.read()
        with open(os.path.join(fixtures, f"isp_page.{lang}.headers.json"), encoding="utf-8") as f:
            self.headers = json.load(f)
        with open(os.path.join(fixtures, "isp.js"), encoding="utf-8") as f:
            self.script = f.read()
        with open(os.path.join(fixtures, "isp_page.token"), encoding="utf-8") as f:
            self.token = f.read().strip()
        self.lang = lang
        self.url = f"{ORIGIN}/pay/isp/{FIXTURE['payment_intent']}?t={self.token}"
        self.isp = MockIsp()
        self.calls = []
        self.failures = []

    def install(self, context):
        context.route(f"{ORIGIN}/**", self.serve)

    def json(self, route, body, status=200):
        route.fulfill(status=status, content_type="application/json", body=json.dumps(body))

    def serve(self, route):
        """Answers one request; a check of the mock that fails is recorded and answered 400
        (so the page shows an error at once and the test reports the check)."""
        try:
            self.answer(route)
        except Exception:
            self.failures.append(traceback.format_exc())
            self.json(route, {"error": {"code": "mock_check_failed", "message": "mock"}}, 400)

    def assert_no_failures(self):
        assert self.failures == [], "the mock ISP refused:\n" + "\n".join(self.failures)

    def answer(self, route):
        req = route.request
        path = urllib.parse.urlsplit(req.url).path
        if path == "/pay/isp/isp.js":
            return route.fulfill(status=200, content_type="text/javascript", body=self.script)
        if path == f"/pay/isp/{FIXTURE['payment_intent']}":
            return route.fulfill(status=200, headers=self.headers, body=self.html)
        self.calls.append((req.method, path))
        hdr = req.headers
        assert hdr.get("x-paygate-page-token") == self.token, hdr
        assert hdr.get("x-paygate-payment-intent") == FIXTURE["payment_intent"], hdr
        assert hdr.get("accept-language") == self.lang, hdr
        if path == "/pay/isp/encryption_key":
            return self.json(route, self.isp.jwk())
        body = json.loads(req.post_data)
        if path == "/pay/isp/enroll":
            return self.json(route, self.isp.enroll(body))
        if path == f"/pay/isp/{FIXTURE['payment_intent']}/confirm":
            self.isp.confirm(body, FIXTURE)
            q = urllib.parse.urlencode({"payment_intent": FIXTURE["payment_intent"],
                                        "redirect_status": "succeeded"})
            return self.json(route, {"status": "succeeded", "redirect": f"{SHOP}?{q}"})
        route.fulfill(status=404, body="")


def client_against_mock(browser, args, lang):
    fx = Fixture(args.fixtures, lang)
    b = Browser(browser, "ko-KR" if lang == "ko" else "en-US", 3 if args.shots else 1)
    try:
        fx.install(b.context)
        resp = b.page.goto(fx.url)
        assert_page_sound(resp, lang)
        assert TEXTS[lang]["title"] in b.page.inner_text("h1")
        b.page.wait_for_selector("#isp-enrol:not([hidden])")
        shoot(b.page, args.shots, f"isp-enrol-{lang}.png")
        try:
            b.enrol()
        finally:
            fx.assert_no_failures()
        assert TEXTS[lang]["enrolled"] in b.page.inner_text("#isp-status")
        assert [c[1] for c in fx.calls] == ["/pay/isp/encryption_key", "/pay/isp/enroll"]
        assert fx.isp.enrolled[0]["card"] == {"number": CARD["number"], "exp_month": 12,
                                              "exp_year": 2034, "cvc": CARD["cvc"]}
        assert_wallet_safe(b.page, CARD["number"])
        b.page.reload()
        b.page.wait_for_selector("#isp-pay:not([hidden])")
        assert "4242" in b.page.inner_text("#isp-card")
        shoot(b.page, args.shots, f"isp-pay-{lang}.png")
        before = len(fx.calls)
        b.pay("not-the-password")
        assert TEXTS[lang]["wrong"] in b.error_text()
        shoot(b.page, args.shots, f"isp-wrong-password-{lang}.png")
        assert len(fx.calls) == before, f"nothing sent after a wrong password: {fx.calls[before:]}"
        b.pay(PASSWORD)
        try:
            b.page.wait_for_url(f"{SHOP}*")
        finally:
            fx.assert_no_failures()
        assert "redirect_status=succeeded" in b.page.url
        done = fx.isp.confirmed[0]
        assert done["card"] == {"number": CARD["number"], "exp_month": 12, "exp_year": 2034}
        assert done["serial"] == fx.isp.enrolled[0]["serial"]
        assert b.errors == [], f"console errors: {b.errors}"
    finally:
        b.close()


def isp_client_against_an_independent_isp_korean(browser, args):
    client_against_mock(browser, args, "ko")


def isp_client_against_an_independent_isp_english(browser, args):
    client_against_mock(browser, args, "en")


def another_card_forgets_the_wallet_and_enrols_again(browser, args):
    fx = Fixture(args.fixtures, "ko")
    b = Browser(browser, "ko-KR")
    try:
        fx.install(b.context)
        b.page.goto(fx.url)
        b.enrol()
        b.page.click("#isp-other")
        b.page.wait_for_selector("#isp-enrol:not([hidden])")
        assert b.page.evaluate(READ_WALLET) is None, "the wallet is gone from IndexedDB"
        b.enrol(card={"number": "5555555555554444", "exp": "01/2031", "cvc": "321"})
        fx.assert_no_failures()
        assert [e["card"]["number"][-4:] for e in fx.isp.enrolled] == ["4242", "4444"]
        assert fx.isp.enrolled[1]["card"]["exp_year"] == 2031
        assert_wallet_safe(b.page, "5555555555554444")
        assert b.errors == [], f"console errors: {b.errors}"
    finally:
        b.close()


def isp_page_without_javascript_explains(browser, args):
    fx = Fixture(args.fixtures, "en")
    ctx = browser.new_context(java_script_enabled=False)
    try:
        fx.install(ctx)
        page = ctx.new_page()
        page.goto(fx.url)
        body = page.inner_text("body")
        assert "ISP payment needs JavaScript" in body, body
        assert not page.is_visible("#isp-enrol") and not page.is_visible("#isp-pay")
    finally:
        ctx.close()


# ---- end to end through paygate ------------------------------------------------------------

def isp_intent(gw, amount, currency="krw"):
    return gw.api("/v1/payment_intents", {
        "amount": str(amount), "currency": currency, "confirm": "true",
        "payment_method_types[]": "isp", "payment_method_data[type]": "isp",
        "return_url": SHOP,
    })


def e2e(browser, args, gw, lang):
    b = Browser(browser, "ko-KR" if lang == "ko" else "en-US", 3 if args.shots else 1)
    try:
        pi = isp_intent(gw, 35000 if lang == "ko" else 4990, "krw" if lang == "ko" else "usd")
        assert pi["status"] == "requires_action", pi
        url = pi["next_action"]["redirect_to_url"]["url"]
        resp = b.page.goto(url)
        assert_page_sound(resp, lang)
        b.page.wait_for_selector("#isp-enrol:not([hidden])")
        shoot(b.page, args.shots, f"isp-enrol-{lang}.png")
        b.enrol()
        assert_wallet_safe(b.page, CARD["number"])
        b.page.reload()
        b.page.wait_for_selector("#isp-pay:not([hidden])")
        shoot(b.page, args.shots, f"isp-pay-{lang}.png")
        sent = []
        b.page.on("request", lambda r: r.url.startswith(gw.base + "/pay/isp/") and sent.append(r.url))
        b.pay("wrong-password-1")
        assert TEXTS[lang]["wrong"] in b.error_text()
        shoot(b.page, args.shots, f"isp-wrong-password-{lang}.png")
        assert sent == [], f"nothing sent after a wrong password: {sent}"
        assert gw.get(f"/v1/payment_intents/{pi['id']}")["status"] == "requires_action"
        b.pay(PASSWORD)
        b.page.wait_for_url(f"{SHOP}*")
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(b.page.url).query)
        assert q["payment_intent"] == [pi["id"]] and q["redirect_status"] == ["succeeded"], q
        done = gw.get(f"/v1/payment_intents/{pi['id']}")
        assert done["status"] == "succeeded", done["status"]
        charge = gw.get(f"/v1/charges/{done['latest_charge']}")
        details = charge["payment_method_details"]
        assert details["type"] == "isp" and details["isp"]["last4"] == "4242", details
        signed = json.loads(details["isp"]["signed_data"])
        assert signed["payment_intent"] == pi["id"] and signed["amount"] == pi["amount"], signed
        assert b.errors == [], f"console errors: {b.errors}"
    finally:
        b.close()


def isp_page_pays_end_to_end_korean(browser, args, gw):
    e2e(browser, args, gw, "ko")


def isp_page_pays_end_to_end_english(browser, args, gw):
    e2e(browser, args, gw, "en")


def isp_checkout_pays_end_to_end(browser, args, gw):
    """The hosted checkout with ISP chosen: the page hands over to the ISP page, the cardholder
    enrols and signs, and lands on the session's success_url with the session complete/paid."""
    cs = gw.api("/v1/checkout/sessions", {
        "mode": "payment", "success_url": SHOP + "?session={CHECKOUT_SESSION_ID}",
        "cancel_url": SHOP + "?cancel=1",
        "line_items[0][price_data][currency]": "krw",
        "line_items[0][price_data][unit_amount]": "35000",
        "line_items[0][price_data][product_data][name]": "ISP 상품",
        "line_items[0][quantity]": "1", "locale": "ko",
        "payment_method_types[0]": "card", "payment_method_types[1]": "isp",
    })
    b = Browser(browser, "ko-KR")
    try:
        b.page.goto(cs["url"])
        b.page.check("input[name=payment_method_type][value=isp]")
        b.page.click("form button[type=submit]")
        b.page.wait_for_url(f"{gw.base}/pay/isp/**")
        b.enrol()
        b.pay(PASSWORD)
        b.page.wait_for_url(f"{SHOP}?session={cs['id']}")
        done = gw.get(f"/v1/checkout/sessions/{cs['id']}")
        assert (done["status"], done["payment_status"]) == ("complete", "paid"), done
        pi = gw.get(f"/v1/payment_intents/{done['payment_intent']}")
        assert pi["status"] == "succeeded" and pi["amount"] == 35000, pi
        charge = gw.get(f"/v1/charges/{pi['latest_charge']}")
        assert charge["payment_method_details"]["type"] == "isp", charge
        assert b.errors == [], f"console errors: {b.errors}"
    finally:
        b.close()


def main():
    ap = parser(__doc__.splitlines()[0], paygate_required=False, shots=True)
    ap.add_argument("--fixtures", help="the ISP page and script rendered by the Rust test")
    ap.add_argument("--e2e", action="store_true", help="pay end to end through paygate")
    args = ap.parse_args()
    if not args.fixtures and not args.e2e:
        ap.error("give --fixtures DIR and/or --e2e with --paygate BIN")
    checks = Checks()
    with chromium() as browser:
        if args.fixtures:
            for fn in (isp_client_against_an_independent_isp_korean,
                       isp_client_against_an_independent_isp_english,
                       another_card_forgets_the_wallet_and_enrols_again,
                       isp_page_without_javascript_explains):
                checks.run(fn.__name__, fn, browser, args)
        if args.e2e:
            gw = Gateway.start(args.paygate, isp=True)
            try:
                for fn in (isp_page_pays_end_to_end_korean, isp_page_pays_end_to_end_english,
                           isp_checkout_pays_end_to_end):
                    checks.run(fn.__name__, fn, browser, args, gw)
            finally:
                gw.stop()
    return checks.summary()


if __name__ == "__main__":
    sys.exit(main())
