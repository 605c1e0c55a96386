"""안심클릭 (3-D Secure) through the official `stripe` Python library, unmodified.

The merchant's side is `stripe` only; the payer's browser is the standard library (urllib,
html.parser) submitting each page's form as a browser without JavaScript would, never
following a redirect by itself. Any failed check raises, so the script exits non-zero.

Usage: three_ds.py API_BASE SECRET_KEY. Prints one JSON line with what it checked.
"""

import json
import sys
import urllib.error
import urllib.parse
import urllib.request
from html.parser import HTMLParser

import stripe

CHALLENGE = "4000000000003220"
FRICTIONLESS = "4000000000003055"
RETURN_URL = "https://shop.example/return"
TIMEOUT_S = 10


class Form:
    """One <form>: its id, method, action, hidden fields, visible input names and buttons."""

    def __init__(self, attrs):
        self.id = attrs.get("id")
        self.method = (attrs.get("method") or "get").lower()
        self.action = attrs.get("action")
        self.hidden = []
        self.inputs = []
        self.buttons = []

    def submission(self, **typed):
        """The fields a browser posts: hidden ones, what the payer typed, the first button."""
        fields = list(self.hidden) + list(typed.items())
        fields += [(n, v) for n, v in self.buttons[:1] if n]
        return fields


class FormReader(HTMLParser):
    """Collects every form of a page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms = []
        self.open = None

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        if tag == "form":
            self.open = Form(a)
            self.forms.append(self.open)
        elif self.open is None:
            return
        elif tag == "input" and a.get("type") == "hidden":
            self.open.hidden.append((a.get("name", ""), a.get("value", "")))
        elif tag == "input":
            self.open.inputs.append(a.get("name", ""))
        elif tag == "button" and a.get("type", "submit") == "submit":
            self.open.buttons.append((a.get("name", ""), a.get("value", "")))

    def handle_endtag(self, tag):
        if tag == "form":
            self.open = None


def read_form(page, form_id=None):
    reader = FormReader()
    reader.feed(page)
    for form in reader.forms:
        if form_id is None or form.id == form_id:
            assert form.action, f"form without action: {page}"
            return form
    raise AssertionError(f"no form {form_id or ''} on the page: {page}")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


BROWSER = urllib.request.build_opener(NoRedirect)


def browse(url, fields=None):
    """GET (or POST the form fields): (status, Location, body)."""
    data = None if fields is None else urllib.parse.urlencode(fields).encode()
    req = urllib.request.Request(url, data=data, headers={"Accept-Language": "ko-KR"})
    try:
        with BROWSER.open(req, timeout=TIMEOUT_S) as resp:
            return resp.status, resp.headers.get("Location"), resp.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Location"), e.read().decode()


def challenge(pi, passwords):
    """Opens next_action, hands off to the ACS, types passwords until the CRes page."""
    status, _, page = browse(pi.next_action.redirect_to_url.url)
    assert status == 200, (status, page)
    handoff = read_form(page)
    assert any(n == "creq" for n, _ in handoff.hidden), vars(handoff)
    status, _, page = browse(handoff.action, handoff.submission())
    assert status == 200, (status, page)
    for pw in passwords:
        form = read_form(page)
        assert "password" in form.inputs, page
        status, _, page = browse(form.action, form.submission(password=pw))
        assert status == 200, (status, page)
        if 'id="cres-form"' in page:
            break
    cres = read_form(page, "cres-form")
    assert any(n == "cres" for n, _ in cres.hidden), vars(cres)
    return cres


def back_to_shop(pi, cres, redirect_status):
    """Posts the CRes to the notificationURL; checks the 303 to the shop's return_url."""
    status, location, body = browse(cres.action, cres.submission())
    assert status == 303, (status, body)
    assert location and location.startswith(RETURN_URL + "?"), location
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(location).query)
    assert q["payment_intent"] == [pi.id], location
    assert q["payment_intent_client_secret"] == [pi.client_secret], location
    assert q["redirect_status"] == [redirect_status], location


def pay(number, request_three_d_secure):
    return stripe.PaymentIntent.create(
        amount=10000,
        currency="krw",
        confirm=True,
        payment_method_data={
            "type": "card",
            "card": {"number": number, "exp_month": 12, "exp_year": 2034, "cvc": "123"},
        },
        payment_method_options={"card": {"request_three_d_secure": request_three_d_secure}},
        return_url=RETURN_URL,
    )


def three_d_secure(pi):
    return pi.latest_charge.payment_method_details.card.three_d_secure


def main():
    stripe.api_base, stripe.api_key = sys.argv[1], sys.argv[2]
    stripe.max_network_retries = 0
    stripe.default_http_client = stripe.new_default_http_client(timeout=TIMEOUT_S)
    out = {}

    # A challenge, passed with the right password.
    pi = pay(CHALLENGE, "challenge")
    assert pi.status == "requires_action", pi
    assert pi.next_action.type == "redirect_to_url", pi
    assert pi.next_action.redirect_to_url.return_url == RETURN_URL, pi
    back_to_shop(pi, challenge(pi, ["1234"]), "succeeded")
    done = stripe.PaymentIntent.retrieve(pi.id, expand=["latest_charge"])
    assert done.status == "succeeded", done
    tds = three_d_secure(done)
    assert tds.result == "authenticated", done
    assert tds.version == "2.2.0", done
    out["challenge"] = [done.id, done.status, tds.result, tds.authentication_flow]

    # Frictionless: authenticated without the payer, succeeded straight from create.
    pi = pay(FRICTIONLESS, "any")
    assert pi.status == "succeeded", pi
    assert pi.next_action is None, pi
    done = stripe.PaymentIntent.retrieve(pi.id, expand=["latest_charge"])
    tds = three_d_secure(done)
    assert tds.result == "authenticated", done
    out["frictionless"] = [done.id, done.status, tds.result, tds.authentication_flow]

    # Five wrong passwords: the authentication fails, the intent asks for another method.
    pi = pay(CHALLENGE, "challenge")
    assert pi.status == "requires_action", pi
    back_to_shop(pi, challenge(pi, ["0000"] * 5), "failed")
    failed = stripe.PaymentIntent.retrieve(pi.id)
    assert failed.status == "requires_payment_method", failed
    code = failed.last_payment_error.code
    assert code == "payment_intent_authentication_failure", failed
    out["failed"] = [failed.id, failed.status, code]

    print(json.dumps(out))


if __name__ == "__main__":
    main()
