#!/usr/bin/env python3
"""Screenshots of the payer pages (/pay/…) in Korean and English at a phone's width, taken with
Debian's Chromium through Playwright (nothing downloads a browser), into docs/screenshots/.

    cargo build -p paygate
    python3 scripts/screenshots.py --paygate target/debug/paygate

Korean glyphs need a CJK font on the machine (Debian: fonts-noto-cjk).

Besides the status pages it walks a 3-D Secure (안심클릭) challenge as a payer would, with
JavaScript disabled so that the auto-posting steps show their <noscript> button: the gateway's
hand-off to the ACS, the ACS's password page, the same page after a wrong password, and the
ACS's page that posts the result back to the gateway."""

import argparse
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "browser"))
from harness import Gateway, launch  # noqa: E402

from playwright.sync_api import sync_playwright  # noqa: E402

# A common phone: 390 × 844 CSS pixels at 3× density.
PHONE = {"width": 390, "height": 844}
SCALE = 3


def pages(gw):
    """(name, url) of each page worth a picture."""
    paid = gw.intent(amount=12000)
    usd = gw.intent(amount=4990, currency="usd")
    waiting = gw.intent(amount=35000, card=None)
    wrong = f"{gw.base}/pay/payment_intents/{waiting['id']}?client_secret=wrong"
    return [
        ("status-succeeded", gw.status_url(paid)),
        ("status-succeeded-usd", gw.status_url(usd)),
        ("status-waiting", gw.status_url(waiting)),
        ("not-found", wrong),
    ]


# A test card whose issuer always asks for a challenge; its 안심클릭 password is 1234.
THREE_DS_CARD = "4000000000003220"
THREE_DS_PASSWORD = "1234"
THREE_DS_OPTIONS = {
    "payment_method_options[card][request_three_d_secure]": "challenge",
    "return_url": "https://shop.example/checkout/done",
}


def shoot(page, out, name, lang):
    path = os.path.join(out, f"{name}.{lang}.png")
    page.screenshot(path=path, full_page=True)
    print(path)


def submit(page, selector):
    """Clicks a submit button and waits for the page the form's post answers."""
    with page.expect_navigation(wait_until="load"):
        page.click(selector)


def three_ds(gw, browser, locale, lang, out):
    """The payer's side of a 3-D Secure challenge, JavaScript off, one picture per step."""
    pi = gw.intent(amount=55000, card=THREE_DS_CARD, extra=THREE_DS_OPTIONS)
    if pi.get("status") != "requires_action":
        raise RuntimeError(f"expected requires_action: {pi}")
    ctx = browser.new_context(
        locale=locale, viewport=PHONE, device_scale_factor=SCALE, is_mobile=True,
        java_script_enabled=False,
    )
    page = ctx.new_page()
    page.goto(pi["next_action"]["redirect_to_url"]["url"], wait_until="load")
    shoot(page, out, "three-ds-start", lang)
    submit(page, "form button[type=submit]")
    page.wait_for_selector("#password")
    shoot(page, out, "three-ds-challenge", lang)
    page.fill("#password", "0000")
    submit(page, "button[value=submit]")
    page.wait_for_selector("#password")
    shoot(page, out, "three-ds-challenge-wrong-password", lang)
    page.fill("#password", THREE_DS_PASSWORD)
    submit(page, "button[value=submit]")
    page.wait_for_selector("#cres-form")
    shoot(page, out, "three-ds-result", lang)
    ctx.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--paygate", default=os.path.join(ROOT, "target", "debug", "paygate"))
    ap.add_argument("--out", default=os.path.join(ROOT, "docs", "screenshots"))
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    gw = Gateway.start(args.paygate)
    try:
        with sync_playwright() as p:
            browser = launch(p)
            for locale, lang in (("ko-KR", "ko"), ("en-US", "en")):
                ctx = browser.new_context(
                    locale=locale, viewport=PHONE, device_scale_factor=SCALE, is_mobile=True
                )
                page = ctx.new_page()
                for name, url in pages(gw):
                    page.goto(url, wait_until="load")
                    shoot(page, args.out, name, lang)
                ctx.close()
                three_ds(gw, browser, locale, lang, args.out)
            browser.close()
    finally:
        gw.stop()


if __name__ == "__main__":
    main()
