#!/usr/bin/env python3
"""Browser test of 계좌이체 in Debian's Chromium, driven by Playwright, JavaScript off:

    python3 tests/browser/test_bank_transfer.py --paygate target/debug/paygate

`paygate serve` runs with its in-process bank simulator (its login pages on their own port).
A bank_transfer intent → its redirect_to_url (paygate's bank choice) → KB국민 → the bank's
own login page → account and password → approve → back through paygate's return page to the
shop's return_url, the intent succeeded. Prints `N passed, N failed`."""

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from harness import Checks, Gateway, chromium, parser  # noqa: E402

SHOP = "https://shop.test/checkout/done"


def submit(page, selector="button[type=submit]"):
    page.locator(selector).first.click()
    page.wait_for_load_state()


def transfer_flow(browser, gw, lang):
    context = browser.new_context(locale="ko-KR" if lang == "ko" else "en-US",
                                  java_script_enabled=False)
    context.route("https://shop.test/**", lambda r: r.fulfill(status=200, body="shop"))
    page = context.new_page()
    pi = gw.api("/v1/payment_intents", {
        "amount": "25000", "currency": "krw", "confirm": "true",
        "payment_method_types[]": "bank_transfer", "payment_method_data[type]": "bank_transfer",
        "return_url": SHOP})
    assert pi["status"] == "requires_action", pi
    resp = page.goto(pi["next_action"]["redirect_to_url"]["url"] + f"&locale={lang}")
    assert resp.status == 200, resp.status
    page.check("#bank-004")
    submit(page)
    submit(page, "#to-bank")
    assert page.locator("#account_number").count() == 1, page.content()
    page.fill("#account_number", "12345678901234")
    page.fill("#password", "1111")
    submit(page)
    assert "25,000" in page.locator("#amount").inner_text(), page.content()
    page.locator("#approve").click()
    page.wait_for_url("https://shop.test/**", timeout=15000)
    assert page.url.startswith(SHOP) and "redirect_status=succeeded" in page.url, page.url
    after = gw.get(f"/v1/payment_intents/{pi['id']}")
    assert after["status"] == "succeeded", after
    context.close()


def main():
    args = parser().parse_args()
    gw = Gateway.start(args.paygate)
    checks = Checks()
    try:
        with chromium() as browser:
            for lang in ["ko", "en"]:
                checks.run(f"bank_transfer ({lang})", transfer_flow, browser, gw, lang)
    finally:
        gw.stop()
    return checks.summary()


if __name__ == "__main__":
    sys.exit(main())
