#!/usr/bin/env python3
"""Browser test of the 간편결제 wallet page in Debian's Chromium, driven by Playwright:

    python3 tests/browser/test_easy_pay.py --paygate target/debug/paygate [--shots DIR]

`paygate serve` runs with its in-process SMS simulator. In Korean and in English: an easy_pay
intent → its redirect_to_url → phone → the SMS code (read through the merchant's test helper
`GET /v1/test_helpers/sms_messages`) → register a card and a PIN (a weak PIN first, refused
with a clear message) → pay with the PIN → the shop's return_url with the intent succeeded.
Then a second intent in the same browser goes straight to the PIN. The pages need no
JavaScript: those runs disable it. With JavaScript on: a card that always requires 3-D Secure
(4000002760003184) is registered through the issuer's ACS challenge and back to the wallet
page; a wrong ACS password five times leaves the wallet without it; and the shuffled PIN pad
fills the PIN the form posts (its digits in another order each time). Last, the gateway's logs
and database are scanned for the PINs, codes, card number and phone numbers used. Prints
`N passed, N failed`."""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(__file__))
from harness import Checks, Gateway, chromium, parser, shoot  # noqa: E402

SHOP = "https://shop.test/checkout/done"
PHONES = {"ko": "010-2222-3333", "en": "010-4444-5555"}
TEXTS = {"ko": {"weak": "추측하기 쉬운 비밀번호", "title": "간편결제"},
         "en": {"weak": "too easy to guess", "title": "Easy Pay"}}


def easy_pay_intent(gw, amount):
    return gw.api("/v1/payment_intents", {
        "amount": str(amount), "currency": "krw", "confirm": "true",
        "payment_method_types[]": "easy_pay", "payment_method_data[type]": "easy_pay",
        "return_url": SHOP})


def submit(page):
    page.locator("form").first.locator("button[type=submit]").click()
    page.wait_for_load_state()


def wallet_flow(browser, args, gw, lang):
    context = browser.new_context(locale="ko-KR" if lang == "ko" else "en-US",
                                  java_script_enabled=False, viewport={"width": 390, "height": 844})
    context.route("https://shop.test/**", lambda r: r.fulfill(status=200, body="shop"))
    page = context.new_page()
    pi = easy_pay_intent(gw, 23000)
    assert pi["status"] == "requires_action", pi
    url = pi["next_action"]["redirect_to_url"]["url"] + f"&locale={lang}"
    resp = page.goto(url)
    assert resp.status == 200 and TEXTS[lang]["title"] in page.title(), page.title()
    page.fill("#phone", PHONES[lang])
    shoot(page, args.shots, f"easy-pay-phone-{lang}.png")
    submit(page)
    digits = PHONES[lang].replace("-", "")
    sms = gw.get(f"/v1/test_helpers/sms_messages?phone={digits}")
    code = re.search(r"\b(\d{6})\b", sms["data"][0]["body"]).group(1)
    page.fill("#otp", code)
    shoot(page, args.shots, f"easy-pay-otp-{lang}.png")
    submit(page)
    page.fill("#card_number", "4242424242424242")
    page.fill("#exp_month", "12")
    page.fill("#exp_year", "2034")
    page.fill("#cvc", "123")
    page.fill("#pin", "111111")
    page.fill("#pin_confirmation", "111111")
    submit(page)
    assert TEXTS[lang]["weak"] in page.content(), "weak PIN message"
    shoot(page, args.shots, f"easy-pay-weak-pin-{lang}.png")
    for field, value in [("#card_number", "4242424242424242"), ("#exp_month", "12"),
                         ("#exp_year", "2034"), ("#cvc", "123"), ("#pin", "204816"),
                         ("#pin_confirmation", "204816")]:
        page.fill(field, value)
    submit(page)
    page.locator("form").first.locator("input[name=pin]").fill("204816")
    shoot(page, args.shots, f"easy-pay-pay-{lang}.png")
    page.locator("form").first.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"^https://shop\.test/"))
    assert "redirect_status=succeeded" in page.url, page.url
    done = gw.get(f"/v1/payment_intents/{pi['id']}?expand[]=latest_charge")
    assert done["status"] == "succeeded", done
    details = done["latest_charge"]["payment_method_details"]
    assert details["type"] == "easy_pay" and details["easy_pay"]["last4"] == "4242", details
    # The same browser pays the next intent with the PIN alone.
    pi2 = easy_pay_intent(gw, 4000)
    page.goto(pi2["next_action"]["redirect_to_url"]["url"] + f"&locale={lang}")
    assert page.locator("#phone").count() == 0
    page.locator("form").first.locator("input[name=pin]").fill("204816")
    page.locator("form").first.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"^https://shop\.test/"))
    assert gw.get(f"/v1/payment_intents/{pi2['id']}")["status"] == "succeeded"
    context.close()
    SECRETS.update({"204816", code, "4242424242424242", digits})


SECRETS = set()
ALWAYS_3DS = "4000002760003184"


def wallet_until_register(browser, gw, phone, amount):
    """A JavaScript-on browser on a new easy_pay intent's wallet page, past the SMS code."""
    context = browser.new_context(locale="ko-KR", viewport={"width": 390, "height": 844})
    context.route("https://shop.test/**", lambda r: r.fulfill(status=200, body="shop"))
    page = context.new_page()
    errors = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    pi = easy_pay_intent(gw, amount)
    page.goto(pi["next_action"]["redirect_to_url"]["url"])
    page.fill("#phone", phone)
    submit(page)
    digits = phone.replace("-", "")
    sms = gw.get(f"/v1/test_helpers/sms_messages?phone={digits}")
    code = re.search(r"\b(\d{6})\b", sms["data"][0]["body"]).group(1)
    page.fill("#otp", code)
    submit(page)
    SECRETS.update({code, digits})
    return context, page, pi, errors


def pad_type(page, input_id, pin):
    """Types `pin` with the on-screen keypad beside `input_id`; returns the key order seen."""
    pad = page.locator(f"[data-pin-pad-for='{input_id}']")
    orders = []
    for d in pin:
        keys = pad.locator("button:not([aria-label])")
        orders.append("".join(keys.all_inner_texts()))
        keys.filter(has_text=d).first.click()
    return orders


def register_always_3ds(page, pin):
    page.fill("#card_number", ALWAYS_3DS)
    page.fill("#exp_month", "12")
    page.fill("#exp_year", "2034")
    page.fill("#cvc", "123")
    pad_type(page, "pin", pin)
    pad_type(page, "pin_confirmation", pin)
    page.locator("form").first.locator("button[type=submit]").click()
    page.wait_for_selector("#password")


def three_ds_registration_and_pin_pad(browser, args, gw):
    """JavaScript on: the PIN pad fills the PINs; the card needs 3-D Secure: the ACS's password
    page, back on the wallet page with the card registered; paying with it then asks the
    issuer, who wants 3-D Secure on every payment of this test card (declined)."""
    context, page, pi, errors = wallet_until_register(browser, gw, "010-6666-7777", 9000)
    try:
        assert page.locator("[data-pin-pad-for='pin'] button").count() == 12, page.content()
        shoot(page, args.shots, "easy-pay-pin-pad-ko.png")
        register_always_3ds(page, "204816")
        page.fill("#password", "1234")
        page.click("button[value=submit]")
        page.wait_for_url(re.compile(r".*/pay/easy_pay/pi_"))
        page.wait_for_selector("[data-pin-pad-for='pin']")
        assert "카드가 등록되었습니다" in page.content(), page.content()
        assert "3184" in page.content()
        shoot(page, args.shots, "easy-pay-3ds-registered-ko.png")
        orders = pad_type(page, "pin", "204816")
        assert all(sorted(o) == list("0123456789") for o in orders), orders
        assert page.input_value("#pin") == "204816"
        assert errors == [], f"console errors (a script the CSP blocked?): {errors}"
    finally:
        context.close()
    SECRETS.update({"204816", ALWAYS_3DS})


def three_ds_failed_registration(browser, args, gw):
    """Five wrong ACS passwords: back on the wallet page, the card is not registered."""
    context, page, pi, errors = wallet_until_register(browser, gw, "010-6666-8888", 9000)
    try:
        register_always_3ds(page, "390517")
        for _ in range(5):
            page.fill("#password", "0000")
            page.click("button[value=submit]")
            page.wait_for_load_state()
            if page.locator("#password").count() == 0:
                break
        page.wait_for_url(re.compile(r".*/pay/easy_pay/pi_"))
        page.wait_for_selector("#card_number")
        assert "안심클릭)에 실패" in page.content(), page.content()
        assert errors == [], errors
    finally:
        context.close()
    SECRETS.update({"390517"})


def nothing_secret_at_rest(gw, secrets):
    """No PIN, SMS code, full card number or full phone number in the gateway's logs or
    database. (The SMS simulator's journal, `sms-sim/`, is the simulated phone's inbox: it
    holds the codes as a handset would, and is not the gateway's.)"""
    found = []
    for root, _dirs, files in os.walk(gw.data_dir):
        if os.path.relpath(root, gw.data_dir).startswith("sms-sim"):
            continue
        for name in files:
            with open(os.path.join(root, name), "rb") as f:
                data = f.read()
            for s in secrets:
                if s.encode() in data:
                    found.append(f"{s} in {os.path.join(root, name)}")
    assert not found, found
    assert os.path.getsize(os.path.join(gw.data_dir, "serve.log")) > 0


def main():
    args = parser(shots=True).parse_args()
    gw = Gateway.start(args.paygate)
    checks = Checks()
    try:
        with chromium() as browser:
            for lang in ["ko", "en"]:
                checks.run(f"easy_pay wallet ({lang})", wallet_flow, browser, args, gw, lang)
            checks.run("3-D Secure registration and the PIN pad",
                       three_ds_registration_and_pin_pad, browser, args, gw)
            checks.run("3-D Secure failed: no card", three_ds_failed_registration,
                       browser, args, gw)
        checks.run("no PIN, code, PAN or phone at rest or in logs",
                   nothing_secret_at_rest, gw, sorted(SECRETS))
    finally:
        gw.stop()
    return checks.summary()


if __name__ == "__main__":
    sys.exit(main())
