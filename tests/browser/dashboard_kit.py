"""What the dashboard's browser tests share: dashboard users made with the CLI before the
gateway starts (`paygate dashboard user create --json`, the TOTP secret taken from its
`otpauth://` URI), RFC 6238 codes computed here with hmac, the two-step login in a browser,
a small merchant server that receives webhooks and serves a page framing the dashboard,
axe-core (vendored, injected from disk) and screenshots."""

import base64
import hashlib
import hmac
import http.server
import json
import os
import struct
import subprocess
import threading
import time
import urllib.parse

from harness import free_port

AXE = os.path.join(os.path.dirname(__file__), "vendor", "axe-core", "axe.min.js")
PASSWORD = "a long pass phrase for the browser"
# Per navigation or wait, in milliseconds; webhook delivery wait in seconds.
PAGE_TIMEOUT_MS = 10_000
HOOK_TIMEOUT_S = 15
LOCALES = {"ko": "ko-KR", "en": "en-US"}


def totp(secret_b32, unix_time, step_s=30, digits=6):
    """RFC 6238 (HMAC-SHA-1, 30 s, 6 digits) on RFC 4226's dynamic truncation."""
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    mac = hmac.new(key, struct.pack(">Q", int(unix_time) // step_s), hashlib.sha1).digest()
    off = mac[-1] & 0x0F
    code = (struct.unpack(">I", mac[off:off + 4])[0] & 0x7FFFFFFF) % 10 ** digits
    return str(code).zfill(digits)


def create_user(binary, data, email, merchant=None):
    """A dashboard user; returns (email, TOTP secret in base32)."""
    args = [binary, "dashboard", "user", "create", "--email", email, "--json",
            "--data-dir", data]
    args += ["--merchant", merchant] if merchant else ["--operator"]
    out = subprocess.run(args, check=True, capture_output=True, text=True, timeout=60,
                         env={**os.environ, "PAYGATE_DASHBOARD_PASSWORD": PASSWORD})
    uri = json.loads(out.stdout)["otpauth_uri"]
    secret = urllib.parse.parse_qs(urllib.parse.urlparse(uri).query)["secret"][0]
    return email, secret


def create_merchant(binary, data, name):
    out = subprocess.run([binary, "merchant", "create", "--name", name, "--data-dir", data,
                          "--json"], check=True, capture_output=True, text=True, timeout=30)
    return json.loads(out.stdout)


def context(browser, lang, **extra):
    ctx = browser.new_context(locale=LOCALES[lang], viewport={"width": 1280, "height": 900},
                              **extra)
    ctx.set_default_timeout(PAGE_TIMEOUT_MS)
    return ctx


def session_cookie(ctx, name="pgdash_session"):
    for c in ctx.cookies():
        if c["name"] == name:
            return c
    return None


def password_step(page, gw, email, password):
    page.goto(f"{gw.base}/dashboard/login")
    page.fill("#email", email)
    page.fill("#password", password)
    with page.expect_navigation():
        page.click("form.login button[type=submit]")


def code_step(page, secret):
    page.fill("#code", totp(secret, time.time()))
    with page.expect_navigation():
        page.click("form.login button[type=submit]")


def login(page, gw, user, check=None):
    """Both steps; `check(name)` runs on the login and code pages (axe, screenshots).
    Returns the session cookie after each step: (after password, after code)."""
    email, secret = user
    page.goto(f"{gw.base}/dashboard/login")
    if check:
        check("login")
    password_step(page, gw, email, PASSWORD)
    assert "/dashboard/login/totp" in page.url, page.url
    after_password = session_cookie(page.context)
    if check:
        check("totp")
    code_step(page, secret)
    assert page.url.endswith("/dashboard/payments"), page.url
    return after_password, session_cookie(page.context)


def axe_violations(page):
    """axe-core's violations (every rule it runs by default: WCAG 2.x A/AA and best
    practices); that its rules ran at all is checked by the passes it counts."""
    page.add_script_tag(path=AXE)
    found = page.evaluate("""async () => {
        const r = await axe.run(document);
        return {passes: r.passes.length, violations: r.violations.map(v => ({id: v.id,
                impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.html)}))};
    }""")
    assert found["passes"] >= 10, f"axe ran only {found['passes']} rules"
    return found["violations"]


class Merchant:
    """The merchant's server on 127.0.0.1: records webhooks posted to /hook and serves
    /frame.html, a page that tries to frame the dashboard."""

    def __init__(self, dashboard_url):
        self.events = []
        self.arrived = threading.Condition()
        owner = self
        page = (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Frame'
                f'</title></head><body><iframe id="f" title="dashboard" src="{dashboard_url}">'
                f'</iframe></body></html>').encode()

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)

            def do_POST(self):
                data = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with owner.arrived:
                    owner.events.append(json.loads(data))
                    owner.arrived.notify_all()
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.port = free_port()
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.origin = f"http://127.0.0.1:{self.port}"

    def deliveries(self, event_id, n):
        """The deliveries of `event_id` once there are at least `n`."""
        def enough():
            got = [e for e in self.events if e["id"] == event_id]
            return got if len(got) >= n else None

        with self.arrived:
            got = self.arrived.wait_for(enough, timeout=HOOK_TIMEOUT_S)
        assert got, f"fewer than {n} deliveries of {event_id} within {HOOK_TIMEOUT_S}s"
        return got

    def stop(self):
        self.server.shutdown()
