#!/usr/bin/env python3
"""Screenshots of the payer pages (/pay/…) in Korean and English at a phone's width, taken with
Debian's Chromium through Playwright (nothing downloads a browser), into docs/screenshots/.

    cargo build -p paygate
    python3 scripts/screenshots.py --paygate target/debug/paygate

Korean glyphs need a CJK font on the machine (Debian: fonts-noto-cjk)."""

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
                    path = os.path.join(args.out, f"{name}.{lang}.png")
                    page.screenshot(path=path, full_page=True)
                    print(path)
                ctx.close()
            browser.close()
    finally:
        gw.stop()


if __name__ == "__main__":
    main()
