#!/usr/bin/env python3
"""Browser tests of the hosted checkout (/pay/checkout/…) and paygate.js in Debian's Chromium,
driven by Playwright:

    python3 tests/browser/test_checkout.py --paygate target/debug/paygate [--shots DIR]

`paygate serve` runs with its in-process simulators. Each check pays as a payer would and then
asks the API what happened: the session `complete`, the intent `succeeded`, its balance
transaction (the ledger's posting) for the session's total, and the signed
`checkout.session.completed` webhook received by a small merchant server run here (which also
serves the page that embeds paygate.js, and records every request it gets, to show that no card
number ever reaches it). The page is also checked with axe-core (vendored in
tests/browser/vendor/, injected from disk) in Korean and English, fresh and after a decline;
with `--shots`, those four pages and the 가상계좌 transfer instructions (ko, en) are saved as
phone-width screenshots. 휴대폰 결제, 계좌이체 and 가상계좌 run through the in-process carrier and bank
simulators (the SMS code and the deposit through the test helpers). Prints
`N passed, N failed`. Run by crates/paygate/tests/browser_checkout.rs."""

import hashlib
import hmac
import http.server
import json
import os
import re
import sys
import threading

sys.path.insert(0, os.path.dirname(__file__))
from harness import VISA, Checks, Gateway, chromium, free_port, parser, shoot  # noqa: E402

AXE = os.path.join(os.path.dirname(__file__), "vendor", "axe-core", "axe.min.js")
SHOP = "https://shop.test"
SUCCESS = SHOP + "/done?session={CHECKOUT_SESSION_ID}"
PHONE = {"width": 390, "height": 844}
# Per navigation or wait, in milliseconds; webhook delivery wait in seconds.
PAGE_TIMEOUT_MS = 10_000
HOOK_TIMEOUT_S = 15
THREE_DS_CARD, THREE_DS_PASSWORD = "4000000000003220", "1234"
DECLINED_CARD = "4000000000000002"
TEXTS = {"ko": {"title": "결제", "declined": "카드가 거절되었습니다"},
         "en": {"title": "Checkout", "declined": "declined"}}


class Merchant:
    """The merchant's own server on 127.0.0.1: receives webhooks at /hook and serves /shop.html
    (set by a check). Every request's path and body is kept."""

    def __init__(self):
        self.requests, self.events, self.page = [], [], ""
        self.arrived = threading.Condition()
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                owner.requests.append((self.path, b""))
                body = owner.page.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self):
                data = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                owner.requests.append((self.path, data))
                with owner.arrived:
                    owner.events.append((self.headers.get("Stripe-Signature", ""), data))
                    owner.arrived.notify_all()
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.port = free_port()
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.origin = f"http://127.0.0.1:{self.port}"
        self.secret = None

    def subscribe(self, gw):
        ep = gw.api("/v1/webhook_endpoints", {
            "url": f"{self.origin}/hook", "enabled_events[0]": "checkout.session.completed",
            "enabled_events[1]": "checkout.session.async_payment_succeeded"})
        self.secret = ep["secret"]

    def completed(self, session_id, kind="checkout.session.completed"):
        """The verified `kind` event of `session_id`, once it arrives."""
        def find():
            for sig, body in self.events:
                event = json.loads(body)
                if event["data"]["object"]["id"] == session_id and event["type"] == kind:
                    return sig, body, event
            return None

        with self.arrived:
            found = self.arrived.wait_for(find, timeout=HOOK_TIMEOUT_S)
        assert found, f"no webhook for {session_id} within {HOOK_TIMEOUT_S}s"
        sig, body, event = found
        parts = dict(p.split("=", 1) for p in sig.split(","))
        want = hmac.new(self.secret.encode(), f"{parts['t']}.".encode() + body,
                        hashlib.sha256).hexdigest()
        assert hmac.compare_digest(parts["v1"], want), "webhook signature"
        assert event["type"] == kind, event["type"]
        return event

    def stop(self):
        self.server.shutdown()


def session(gw, methods=("card",), unit=15000, quantity=2, locale="auto"):
    form = {
        "mode": "payment", "success_url": SUCCESS, "cancel_url": SHOP + "/cart",
        "line_items[0][price_data][currency]": "krw",
        "line_items[0][price_data][unit_amount]": str(unit),
        "line_items[0][price_data][product_data][name]": "티셔츠",
        "line_items[0][quantity]": str(quantity), "locale": locale,
    }
    for i, m in enumerate(methods):
        form[f"payment_method_types[{i}]"] = m
    return gw.api("/v1/checkout/sessions", form)


def browse(browser, lang, javascript=True, **extra):
    context = browser.new_context(locale="ko-KR" if lang == "ko" else "en-US",
                                  java_script_enabled=javascript, viewport=PHONE, **extra)
    context.route(f"{SHOP}/**", lambda r: r.fulfill(status=200, body="shop"))
    page = context.new_page()
    page.set_default_timeout(PAGE_TIMEOUT_MS)
    return context, page


def fill_card(page, number):
    page.check("input[name=payment_method_type][value=card]")
    for field, value in (("#card_number", number), ("#exp_month", "12"),
                         ("#exp_year", "2034"), ("#cvc", "123")):
        page.fill(field, value)


def submit(page):
    page.click("form button[type=submit]")


def assert_paid(gw, merchant, cs, method="card"):
    """The session complete and paid, its intent succeeded with `method`, the ledger's balance
    transaction for the total, and the completed webhook received."""
    now = gw.get(f"/v1/checkout/sessions/{cs['id']}")
    assert (now["status"], now["payment_status"]) == ("complete", "paid"), now
    pi = gw.get(f"/v1/payment_intents/{cs['payment_intent']}?expand[]=latest_charge")
    assert pi["status"] == "succeeded" and pi["amount"] == cs["amount_total"], pi
    charge = pi["latest_charge"]
    assert charge["payment_method_details"]["type"] == method, charge
    bt = gw.get(f"/v1/balance_transactions/{charge['balance_transaction']}")
    assert bt["amount"] == cs["amount_total"] and bt["net"] == bt["amount"] - bt["fee"], bt
    event = merchant.completed(cs["id"])
    assert event["data"]["object"]["payment_status"] == "paid", event
    return charge


def card_checkout(gw, browser, merchant, lang, javascript):
    cs = session(gw)
    context, page = browse(browser, lang, javascript)
    try:
        page.goto(cs["url"])
        assert page.get_attribute("html", "lang") == lang
        assert TEXTS[lang]["title"] in page.title(), page.title()
        assert ("30,000원" if lang == "ko" else "₩30,000") in page.inner_text("main")
        fill_card(page, VISA)
        submit(page)
        page.wait_for_url(re.compile(r"^https://shop\.test/done"))
        assert f"session={cs['id']}" in page.url, page.url
    finally:
        context.close()
    assert_paid(gw, merchant, cs)


def card_checkout_with_javascript(gw, browser, merchant, args):
    card_checkout(gw, browser, merchant, "ko", True)


def card_checkout_without_javascript(gw, browser, merchant, args):
    card_checkout(gw, browser, merchant, "en", False)


def three_ds_challenge_in_checkout(gw, browser, merchant, args):
    """A card whose issuer asks for a challenge: the ACS simulator's password page, a wrong
    password first, then the right one, back through the session's return to success_url."""
    cs = session(gw, unit=27500, quantity=1)
    context, page = browse(browser, "ko")
    try:
        page.goto(cs["url"])
        fill_card(page, THREE_DS_CARD)
        submit(page)
        page.wait_for_selector("#password")
        page.fill("#password", "0000")
        with page.expect_navigation():
            page.click("button[value=submit]")
        page.wait_for_selector("#password")
        page.fill("#password", THREE_DS_PASSWORD)
        page.click("button[value=submit]")
        page.wait_for_url(re.compile(r"^https://shop\.test/done"))
    finally:
        context.close()
    charge = assert_paid(gw, merchant, cs)
    secure = charge["payment_method_details"]["card"]["three_d_secure"]
    assert secure and secure.get("result") == "authenticated", secure


def easy_pay_round_trip(gw, browser, merchant, args):
    """간편결제 chosen on the page (JavaScript off): the wallet page, the SMS code from the test
    helper, a card and PIN registered, paid with the PIN, back to success_url."""
    cs = session(gw, methods=("card", "easy_pay"), unit=8000, quantity=3)
    context, page = browse(browser, "ko", javascript=False)
    try:
        page.goto(cs["url"])
        page.check("input[name=payment_method_type][value=easy_pay]")
        submit(page)
        page.fill("#phone", "010-7777-8888")
        submit(page)
        sms = gw.get("/v1/test_helpers/sms_messages?phone=01077778888")
        code = re.search(r"\b(\d{6})\b", sms["data"][0]["body"]).group(1)
        page.fill("#otp", code)
        submit(page)
        for field, value in (("#card_number", VISA), ("#exp_month", "12"), ("#exp_year", "2034"),
                             ("#cvc", "123"), ("#pin", "204816"), ("#pin_confirmation", "204816")):
            page.fill(field, value)
        submit(page)
        page.locator("form").first.locator("input[name=pin]").fill("204816")
        page.locator("form").first.locator("button[type=submit]").click()
        # Back at the session's return, which goes on to the shop by a page of its own (a
        # redirect would break the wallet form's form-action); without JavaScript the payer
        # follows its link.
        page.wait_for_url(re.compile(r"/pay/checkout/cs_\w+/return"))
        page.click("main a.button")
        page.wait_for_url(re.compile(r"^https://shop\.test/done"))
    finally:
        context.close()
    assert_paid(gw, merchant, cs, method="easy_pay")


def mobile_carrier_checkout(gw, browser, merchant, args):
    """휴대폰 결제 chosen on the page: the carrier page (carrier, number, birth date, consent),
    the code the carrier sent by SMS (test helper), back through the session's return to
    success_url; the charge is the carrier's."""
    cs = session(gw, methods=("card", "mobile_carrier"), unit=9900, quantity=1)
    context, page = browse(browser, "ko")
    try:
        page.goto(cs["url"])
        page.check("input[name=payment_method_type][value=mobile_carrier]")
        submit(page)
        page.check("input[name=carrier][value=skt]")
        page.fill("#phone", "01012345678")
        page.fill("#birth_date", "19900101")
        page.check("#consent")
        submit(page)
        page.wait_for_selector("#otp")
        sms = gw.get("/v1/test_helpers/sms_messages?phone=01012345678")
        code = re.search(r"\b(\d{6})\b", sms["data"][0]["body"]).group(1)
        page.fill("#otp", code)
        submit(page)
        page.wait_for_url(re.compile(r"^https://shop\.test/done"))
    finally:
        context.close()
    charge = assert_paid(gw, merchant, cs, method="mobile_carrier")
    assert charge["payment_method_details"]["mobile_carrier"]["phone_last4"] == "5678", charge


def bank_transfer_checkout(gw, browser, merchant, args):
    """계좌이체 chosen on the page: paygate's bank choice (axe-clean), KB국민, the bank's own
    login and approval pages, back through the session's return to success_url; the charge is
    the bank's."""
    cs = session(gw, methods=("card", "bank_transfer"), unit=25000, quantity=1)
    # The injected axe script is not the page's: the CSP would (rightly) block it.
    context, page = browse(browser, "ko", bypass_csp=True)
    try:
        page.goto(cs["url"])
        page.check("input[name=payment_method_type][value=bank_transfer]")
        submit(page)
        page.wait_for_selector("#bank-004")
        assert axe_violations(page) == []
        page.check("#bank-004")
        page.click("form button[type=submit]")
        page.click("#to-bank")
        page.fill("#account_number", "12345678901234")
        page.fill("#password", "1111")
        page.click("form button[type=submit]")
        assert "25,000" in page.locator("#amount").inner_text(), page.content()
        page.click("#approve")
        page.wait_for_url(re.compile(r"^https://shop\.test/done"))
    finally:
        context.close()
    charge = assert_paid(gw, merchant, cs, method="bank_transfer")
    assert charge["payment_method_details"]["bank_transfer"]["bank_code"] == "004", charge


def virtual_account_checkout(gw, browser, merchant, args):
    """가상계좌 chosen with a bank and a 현금영수증: the transfer instructions
    on the page, the session complete and unpaid with its completed webhook; the instructions
    again in English, both axe-clean (and screenshots); the deposit through the test helper →
    paid, the async_payment_succeeded webhook, the cash receipt on the charge."""
    cs = session(gw, methods=("card", "virtual_account"), unit=35000, quantity=1)
    # The injected axe script is not the page's: the CSP would (rightly) block it.
    context, page = browse(browser, "ko", bypass_csp=True, device_scale_factor=2, is_mobile=True)
    try:
        page.goto(cs["url"])
        page.check("input[name=payment_method_type][value=virtual_account]")
        page.select_option("#bank", "088")
        page.select_option("#cash_receipt_type", "income_deduction")
        page.fill("#cash_receipt_identifier", "010-1234-5678")
        submit(page)
        page.wait_for_selector("text=입금 안내")
        shown = page.inner_text("main")
        assert "신한은행" in shown and "35,000원" in shown, shown
        assert axe_violations(page) == []
        shoot(page, args.shots, "checkout-virtual-account.ko.png")
    finally:
        context.close()
    now = gw.get(f"/v1/checkout/sessions/{cs['id']}")
    assert (now["status"], now["payment_status"]) == ("complete", "unpaid"), now
    assert merchant.completed(cs["id"])["data"]["object"]["payment_status"] == "unpaid"
    pi = gw.get(f"/v1/payment_intents/{cs['payment_intent']}")
    account = pi["next_action"]["display_bank_transfer_instructions"]["financial_addresses"][0][
        "kr_virtual_account"]["account_number"]
    assert account in shown, shown
    context, page = browse(browser, "en", bypass_csp=True, device_scale_factor=2, is_mobile=True)
    try:
        page.goto(cs["url"])
        assert "Transfer by" in page.inner_text("main") and account in page.inner_text("main")
        assert axe_violations(page) == []
        shoot(page, args.shots, "checkout-virtual-account.en.png")
    finally:
        context.close()
    gw.api(f"/v1/test_helpers/virtual_accounts/{account}/deposit",
           {"amount": "35000", "depositor_name": "홍길동"})
    now = gw.get(f"/v1/checkout/sessions/{cs['id']}")
    assert (now["status"], now["payment_status"]) == ("complete", "paid"), now
    event = merchant.completed(cs["id"], "checkout.session.async_payment_succeeded")
    assert event["data"]["object"]["payment_status"] == "paid", event
    pi = gw.get(f"/v1/payment_intents/{cs['payment_intent']}?expand[]=latest_charge")
    receipt = pi["latest_charge"]["payment_method_details"]["virtual_account"]["cash_receipt"]
    assert receipt == {"type": "income_deduction", "identifier": "*******5678"}, receipt


SHOP_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Shop</title>
<script src="{base}/v1/paygate.js"></script></head><body><main><h1>Pay</h1>
<form id="f"><div id="card"></div><button id="pay">Pay</button></form><p id="result"></p>
<script>
const paygate = PayGate("{pk}");
const card = paygate.mountCardForm("#card", {{ locale: "en" }});
document.getElementById("f").onsubmit = async (e) => {{
  e.preventDefault();
  const r = await paygate.confirmPayment({{ clientSecret: "{secret}", card,
                                            returnUrl: "{origin}/done" }});
  document.getElementById("result").textContent =
    r.error ? "error " + r.error.message : r.paymentIntent.status + " " + r.paymentIntent.payment_method;
}};
</script></main></body></html>"""


def paygate_js_on_a_merchant_page(gw, browser, merchant, args):
    """The merchant's page (another origin) mounts paygate.js's card form; the card goes to
    paygate with the publishable key (pm_…), the intent is confirmed, and the merchant's server
    never sees the card number."""
    pi = gw.intent(amount=42000, card=None)
    merchant.page = SHOP_PAGE.format(base=gw.base, pk=gw.publishable_key,
                                     secret=pi["client_secret"], origin=merchant.origin)
    context, page = browse(browser, "en")
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(f"{merchant.origin}/shop.html")
        page.get_by_label("Card number").fill(VISA)
        page.get_by_label("Expiry month (MM)").fill("12")
        page.get_by_label("Expiry year (YYYY)").fill("2034")
        page.get_by_label("Security code (CVC)").fill("123")
        page.click("#pay")
        page.wait_for_function("document.getElementById('result').textContent !== ''")
        result = page.inner_text("#result")
    finally:
        context.close()
    assert re.fullmatch(r"succeeded pm_\w+", result), result
    assert errors == [], errors
    done = gw.get(f"/v1/payment_intents/{pi['id']}?expand[]=latest_charge")
    assert done["status"] == "succeeded" and done["payment_method"] == result.split()[1], done
    assert done["latest_charge"]["payment_method_details"]["card"]["last4"] == "4242"
    seen = [p.encode() + b for p, b in merchant.requests]
    assert not any(VISA.encode() in r for r in seen), "the card number reached the merchant"


def axe_violations(page):
    """axe-core's violations on the page (every rule axe runs by default: WCAG 2.x A/AA and
    best practices); that its rules ran at all is checked by the passes it counts."""
    page.add_script_tag(path=AXE)
    found = page.evaluate("""async () => {
        const r = await axe.run(document);
        return {passes: r.passes.length, violations: r.violations.map(v => ({id: v.id,
                impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.html)}))};
    }""")
    assert found["passes"] >= 10, f"axe ran only {found['passes']} rules"
    return found["violations"]


def accessible_in(lang):
    def check(gw, browser, merchant, args):
        """axe-core finds nothing on the page (every method, the 할부 select of a 60,000 KRW
        order, the bank and 현금영수증 fields), fresh and after a declined card."""
        cs = session(gw, methods=("card", "easy_pay", "mobile_carrier", "bank_transfer",
                                 "virtual_account"))
        # The injected axe script is not the page's: the CSP would (rightly) block it.
        context, page = browse(browser, lang, bypass_csp=True, device_scale_factor=2,
                               is_mobile=True)
        try:
            page.goto(cs["url"])
            assert axe_violations(page) == []
            shoot(page, args.shots, f"checkout.{lang}.png")
            fill_card(page, DECLINED_CARD)
            submit(page)
            page.wait_for_selector("[role=alert]")
            assert TEXTS[lang]["declined"] in page.inner_text("[role=alert]")
            assert axe_violations(page) == []
            shoot(page, args.shots, f"checkout-declined.{lang}.png")
        finally:
            context.close()
    check.__name__ = f"axe_finds_nothing_on_the_page_{lang}"
    return check


CHECKS = [card_checkout_with_javascript, card_checkout_without_javascript,
          three_ds_challenge_in_checkout, easy_pay_round_trip, mobile_carrier_checkout,
          bank_transfer_checkout, virtual_account_checkout, paygate_js_on_a_merchant_page,
          accessible_in("ko"), accessible_in("en")]


def main(checks=CHECKS, prepare=None):
    """Runs `checks(gw, browser, merchant, args)` against a fresh gateway with the merchant's
    webhook endpoint subscribed; `prepare(binary)` gives Gateway.start's `prepare`. Also the
    runner of test_checkout_wallets.py."""
    args = parser(shots=True, only=True).parse_args()
    gw = Gateway.start(args.paygate, prepare=prepare(args.paygate) if prepare else None)
    merchant = Merchant()
    results = Checks(args.k)
    try:
        merchant.subscribe(gw)
        with chromium() as browser:
            for fn in checks:
                results.run(fn.__name__, fn, gw, browser, merchant, args)
    finally:
        merchant.stop()
        gw.stop()
    return results.summary()


if __name__ == "__main__":
    sys.exit(main())
