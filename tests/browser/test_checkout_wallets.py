#!/usr/bin/env python3
"""Browser tests of the hosted checkout's Apple Pay and Samsung Pay buttons in Debian's Chromium,
driven by Playwright:
    python3 tests/browser/test_checkout_wallets.py --paygate target/debug/paygate [--shots DIR]
Chromium has neither wallet, so each check plays the wallet's side in the page: an init script
installs a stand-in `ApplePaySession` (Apple Pay JS: canMakePayments, onvalidatemerchant,
onpaymentauthorized, completePayment) or `PaymentRequest` answering Samsung Pay's method, which
hands the page a REAL encrypted token made by the independent generator
(crates/gateway/tests/data/wallet_python/make_tokens.py, PyPI `cryptography`) for the
merchant's processing keys, registered with `paygate wallets apple-pay|samsung-pay add`. The
page's own script (`/pay/checkout/wallets.js`) does the rest: merchant validation at paygate,
the token posted to paygate, the redirect to `success_url`. Then the API is asked what happened:
session `complete`/`paid`, the charge's wallet, its balance transaction, the signed
`checkout.session.completed` webhook. Without the stand-ins no button shows. axe-core runs on the
page with both buttons in Korean and English (`--shots` saves them). Prints `N passed, N failed`.
Run by crates/paygate/tests/browser_checkout_wallets.rs."""

import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import shoot  # noqa: E402
from test_checkout import SUCCESS, assert_paid, axe_violations, browse, session  # noqa: E402
from test_checkout import main as run_checkout_checks  # noqa: E402

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
GENERATOR = os.path.join(ROOT, "crates", "gateway", "tests", "data", "wallet_python",
                         "make_tokens.py")
DONE = SUCCESS.split("?")[0]

# Apple Pay JS as far as the page uses it; the token is handed over after paygate's merchant
# session came back through completeMerchantValidation, as Safari does.
APPLE_PAY = """
window.__wallet = {events: []};
class ApplePaySession {
  static canMakePayments() { return true; }
  constructor(version, request) {
    window.__wallet.events.push(["new", version, request]);
    this.request = request;
  }
  begin() {
    this.onvalidatemerchant({validationURL:
      "https://apple-pay-gateway-cert.apple.com/paymentservices/startSession"});
  }
  completeMerchantValidation(merchantSession) {
    window.__wallet.events.push(["validated", merchantSession]);
    this.onpaymentauthorized({payment: {token: {paymentData: TOKEN}}});
  }
  completePayment(status) { window.__wallet.events.push(["completed", status]); }
  abort() { window.__wallet.events.push(["aborted"]); }
}
ApplePaySession.STATUS_SUCCESS = 0;
ApplePaySession.STATUS_FAILURE = 1;
window.ApplePaySession = ApplePaySession;
"""

# The Payment Request API answering only Samsung Pay's method, with Samsung's paymentCredential.
SAMSUNG_PAY = """
window.__wallet = {events: []};
const SAMSUNG = "https://spay.samsung.com/app";
class PaymentRequest {
  constructor(methods, details) {
    this.methods = methods;
    window.__wallet.events.push(["new", methods[0].supportedMethods, details.total]);
  }
  canMakePayment() {
    return Promise.resolve(this.methods.some(m => m.supportedMethods === SAMSUNG));
  }
  show() {
    return Promise.resolve({details: {paymentCredential: TOKEN},
      complete: (r) => { window.__wallet.events.push(["completed", r]); return Promise.resolve(); }});
  }
}
window.PaymentRequest = PaymentRequest;
"""


def prepare(binary):
    """Makes the tokens and registers the merchant's Apple Pay and Samsung Pay keys."""
    def run(data, merchant):
        out = os.path.join(data, "tokens.json")
        subprocess.run([sys.executable, GENERATOR, out], check=True, timeout=60)
        with open(out) as f:
            g = json.load(f)
        files = {}
        for name in ("root_pem", "merchant_certificate_pem", "merchant_key_pem",
                     "samsung_key_pem"):
            files[name] = os.path.join(data, name + ".pem")
            with open(files[name], "w") as f:
                f.write(g[name])
        owner = ["--merchant", merchant["id"], "--data-dir", data]
        subprocess.run([binary, "wallets", "apple-pay", "add", *owner,
                        "--certificate", files["merchant_certificate_pem"],
                        "--private-key", files["merchant_key_pem"],
                        "--trust-root", files["root_pem"]],
                       check=True, capture_output=True, timeout=30)
        subprocess.run([binary, "wallets", "samsung-pay", "add", *owner,
                        "--private-key", files["samsung_key_pem"]],
                       check=True, capture_output=True, timeout=30)
        return g
    return run


def wallet_page(browser, lang, script, token, **extra):
    context, page = browse(browser, lang, **extra)
    if script:
        context.add_init_script(script.replace("TOKEN", json.dumps(token)))
    return context, page


def pay_with(gw, browser, merchant, button, script, token, wallet):
    cs = session(gw, unit=15000, quantity=1)
    context, page = wallet_page(browser, "ko", script, token)
    try:
        page.goto(cs["url"])
        page.wait_for_selector(f"#{button}", state="visible")
        page.click(f"#{button}")
        page.wait_for_url(f"{DONE}**")
        assert page.url.endswith(f"session={cs['id']}"), page.url
        events = page.evaluate("window.__wallet.events") if "shop" not in page.url else None
        charge = assert_paid(gw, merchant, cs)
        got = charge["payment_method_details"]["card"]["wallet"]["type"]
        assert got == wallet, charge
        return cs, events
    finally:
        context.close()


def no_button_where_the_browser_has_no_wallet(gw, browser, merchant, args):
    """Plain Chromium (no ApplePaySession, no Samsung Pay behind PaymentRequest): the buttons
    stay hidden and the card form is there as always."""
    cs = session(gw, unit=15000, quantity=1)
    context, page = wallet_page(browser, "en", None, None)
    try:
        page.goto(cs["url"])
        page.wait_for_load_state("load")
        assert page.locator("#apple-pay").count() == 1, "the page carries the button"
        assert not page.is_visible("#apple-pay") and not page.is_visible("#samsung-pay")
        assert page.is_visible("#card_number")
    finally:
        context.close()


def apple_pay_pays_a_checkout_session(gw, browser, merchant, args):
    """The Apple Pay button: merchant validation at paygate (test mode), the EC_v1 token posted,
    the session paid, back at success_url."""
    token = json.loads(gw.prepared["apple"]["visa"])
    pay_with(gw, browser, merchant, "apple-pay", APPLE_PAY, token, "apple_pay")


def samsung_pay_pays_a_checkout_session(gw, browser, merchant, args):
    """The Samsung Pay button through the Payment Request API: the JWE token posted, paid."""
    token = gw.prepared["samsung"]["visa"]
    pay_with(gw, browser, merchant, "samsung-pay", SAMSUNG_PAY, token, "samsung_pay")


def a_tampered_apple_pay_token_is_refused_on_the_page(gw, browser, merchant, args):
    """A tampered token: the payer reads why, the wallet sheet is told it failed, the session
    stays open."""
    cs = session(gw, unit=15000, quantity=1)
    token = json.loads(gw.prepared["apple"]["tampered"])
    context, page = wallet_page(browser, "en", APPLE_PAY, token)
    try:
        page.goto(cs["url"])
        page.click("#apple-pay")
        # Polled from Playwright's side: a string wait_for_function is an eval the CSP forbids.
        deadline = time.monotonic() + 10
        while not page.inner_text("#wallet-status").strip():
            assert time.monotonic() < deadline, "no message for the refused token"
            time.sleep(0.1)
        events = page.evaluate("window.__wallet.events")
        assert ["completed", 1] in events, events
        now = gw.get(f"/v1/checkout/sessions/{cs['id']}")
        assert now["status"] == "open", now
    finally:
        context.close()


def accessible_with_both_buttons(lang):
    def check(gw, browser, merchant, args):
        """axe-core finds nothing on the page with both wallet buttons shown."""
        cs = session(gw, unit=15000, quantity=1)
        both = APPLE_PAY + SAMSUNG_PAY.replace("window.__wallet = {events: []};", "")
        context, page = wallet_page(browser, lang, both, None, bypass_csp=True,
                                    device_scale_factor=2, is_mobile=True)
        try:
            page.goto(cs["url"])
            page.wait_for_selector("#apple-pay", state="visible")
            page.wait_for_selector("#samsung-pay", state="visible")
            assert axe_violations(page) == []
            shoot(page, args.shots, f"checkout-wallets.{lang}.png")
        finally:
            context.close()
    check.__name__ = f"axe_finds_nothing_with_the_wallet_buttons_{lang}"
    return check


CHECKS = [no_button_where_the_browser_has_no_wallet, apple_pay_pays_a_checkout_session,
          samsung_pay_pays_a_checkout_session, a_tampered_apple_pay_token_is_refused_on_the_page,
          accessible_with_both_buttons("ko"), accessible_with_both_buttons("en")]


if __name__ == "__main__":
    sys.exit(run_checkout_checks(CHECKS, prepare))
