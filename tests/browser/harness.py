"""Shared by the browser tests and scripts/screenshots.py: start `paygate serve` on a fresh data
dir (or use a running gateway), make PaymentIntents through the API, and launch Debian's
Chromium through Playwright. Nothing here downloads a browser: Playwright is pointed at the
system's executable (PAYGATE_CHROMIUM, default /usr/bin/chromium). Also the runner every
test script shares: its command line (`parser`), the browser (`chromium`), one check at a time
(`Checks`), screenshots (`shoot`) and the summary line the Rust tests look for."""

import argparse
import contextlib
import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request

CHROMIUM = os.environ.get("PAYGATE_CHROMIUM", "/usr/bin/chromium")
VISA = "4242424242424242"
# How long `paygate serve` may take to print that it listens.
START_TIMEOUT_S = 30


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# The CAVV key the card-network and ISP simulators share in the ISP runs (a test key).
TEST_CAVV_KEY_HEX = "5a" * 32


def spawn(args, data, name):
    """Starts `args`, logging stderr to DATA/NAME.log; returns once it prints that it listens."""
    log = open(os.path.join(data, f"{name}.log"), "w")
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=log, text=True)
    ready = threading.Event()

    def read():
        for line in proc.stdout:
            if "listening on" in line:
                ready.set()

    threading.Thread(target=read, daemon=True).start()
    if not ready.wait(START_TIMEOUT_S):
        proc.kill()
        raise RuntimeError(f"{' '.join(args[:3])} did not start; log in {data}/{name}.log")
    return proc


class Gateway:
    """A gateway to test against: started from a binary, or one already running."""

    def __init__(self, base, secret_key, proc=None, data_dir=None, sims=(), publishable_key=None):
        self.base = base.rstrip("/")
        self.secret_key = secret_key
        self.publishable_key = publishable_key
        self.proc = proc
        self.data_dir = data_dir
        self.sims = list(sims)

    @classmethod
    def start(cls, binary, isp=False, prepare=None):
        """`paygate serve` on a fresh data dir. With `isp`, the card-network and ISP simulators
        run as separate processes sharing a test CAVV key (`--network-addr`, `--isp-url`).
        `prepare(data_dir, merchant)` runs before the server starts (CLI set-up such as
        dashboard users); what it returns is kept as `prepared`."""
        data = tempfile.mkdtemp(prefix="paygate-browser-")
        out = subprocess.run(
            [binary, "merchant", "create", "--name", "Browser shop", "--data-dir", data, "--json"],
            check=True, capture_output=True, text=True, timeout=30,
        )
        merchant = json.loads(out.stdout)
        key = merchant["secret_key"]
        prepared = prepare(data, merchant) if prepare else None
        listen = f"127.0.0.1:{free_port()}"
        extra, sims = [], []
        if isp:
            key_file = os.path.join(data, "test-cavv.key")
            with open(key_file, "w") as f:
                f.write(TEST_CAVV_KEY_HEX)
            net, isp_addr = f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}"
            sims.append(spawn([binary, "sim", "network", "--listen", net, "--data-dir",
                               os.path.join(data, "net-sim"), "--cavv-key-file", key_file],
                              data, "network"))
            sims.append(spawn([binary, "sim", "isp", "--listen", isp_addr, "--data-dir",
                               os.path.join(data, "isp-sim"), "--cavv-key-file", key_file],
                              data, "isp"))
            extra = ["--network-addr", net, "--isp-url", f"http://{isp_addr}"]
        proc = spawn([binary, "serve", "--data-dir", data, "--listen", listen,
                      "--metrics-listen", "127.0.0.1:0", *extra], data, "serve")
        gw = cls(f"http://{listen}", key, proc, data, sims, merchant["publishable_key"])
        gw.merchant_id, gw.prepared = merchant["id"], prepared
        return gw

    def stop(self):
        for p in [self.proc, *self.sims]:
            if p is None:
                continue
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
        if self.data_dir is not None:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def api(self, path, form, key=None):
        body = urllib.parse.urlencode(form).encode()
        req = urllib.request.Request(self.base + path, data=body, method="POST")
        req.add_header("Authorization", f"Bearer {key or self.secret_key}")
        req.add_header("Content-Type", "application/x-www-form-urlencoded")
        with urllib.request.urlopen(req, timeout=15) as r:
            return json.loads(r.read())

    def get(self, path):
        req = urllib.request.Request(self.base + path)
        req.add_header("Authorization", f"Bearer {self.secret_key}")
        with urllib.request.urlopen(req, timeout=15) as r:
            return json.loads(r.read())

    def intent(self, amount=12000, currency="krw", card=VISA, extra=None):
        """A PaymentIntent; confirmed with `card` unless card is None; `extra` adds form
        fields (e.g. 3-D Secure options and `return_url`)."""
        form = {"amount": str(amount), "currency": currency, **(extra or {})}
        if card is not None:
            form.update({
                "confirm": "true",
                "payment_method_data[type]": "card",
                "payment_method_data[card][number]": card,
                "payment_method_data[card][exp_month]": "12",
                "payment_method_data[card][exp_year]": "2034",
                "payment_method_data[card][cvc]": "123",
            })
        return self.api("/v1/payment_intents", form)

    def status_url(self, pi, extra=""):
        q = urllib.parse.urlencode({"client_secret": pi["client_secret"]})
        return f"{self.base}/pay/payment_intents/{pi['id']}?{q}{extra}"


def launch(playwright):
    """Debian's Chromium, headless."""
    if not os.path.exists(CHROMIUM):
        raise RuntimeError(f"no Chromium at {CHROMIUM}: apt-get install -y chromium")
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True)


@contextlib.contextmanager
def chromium():
    """Debian's Chromium through Playwright for the length of a `with`; closed however it ends."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch(p)
        try:
            yield browser
        finally:
            browser.close()


def parser(description=None, paygate_required=True, shots=False, only=False):
    """A test script's command line: `--paygate BIN`, with `shots` a `--shots DIR` for
    screenshots (docs/screenshots), with `only` a `-k TEXT` that runs only the checks whose
    name contains TEXT."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--paygate", required=paygate_required,
                    help="paygate binary to start on a fresh data dir")
    if shots:
        ap.add_argument("--shots", help="directory for screenshots (docs/screenshots)")
    if only:
        ap.add_argument("-k", help="run only the checks whose name contains this")
    return ap


def shoot(page, shots, name):
    """Saves a full-page screenshot as SHOTS/NAME when `shots` (a directory) is given."""
    if shots:
        path = os.path.join(shots, name)
        page.screenshot(path=path, full_page=True)
        print(f"     screenshot {path}")


class Checks:
    """Runs a script's checks one at a time: each prints `ok   NAME`, or `FAIL NAME` with its
    traceback, and a failure never stops the ones after it. `summary()` prints
    `N passed, N failed` (with `, N skipped` when any were) and returns the exit code."""

    def __init__(self, only=None):
        self.only = only
        self.passed = self.failed = self.skipped = 0

    def run(self, name, fn, *args):
        """`fn(*args)` as the check NAME, unless `only` is given and NAME lacks it."""
        if self.only and self.only not in name:
            return
        try:
            fn(*args)
            self.passed += 1
            print(f"ok   {name}")
        except Exception:  # noqa: BLE001 - the report names the failure
            self.failed += 1
            print(f"FAIL {name}\n{traceback.format_exc()}")

    def skip(self, name, why):
        self.skipped += 1
        print(f"skip {name} ({why})")

    def summary(self):
        skipped = f", {self.skipped} skipped" if self.skipped else ""
        print(f"{self.passed} passed, {self.failed} failed{skipped}")
        return 1 if self.failed else 0
