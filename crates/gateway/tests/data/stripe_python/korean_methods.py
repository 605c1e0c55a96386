"""휴대폰 소액결제 (mobile_carrier) and 가상계좌 (virtual_account) through the official `stripe`
Python library, unmodified.

The merchant's side is `stripe` only. The payer is the standard library: the carrier page's
forms posted as a browser without JavaScript would (`three_ds.browse`), the SMS code read with
the test helper `GET /v1/test_helpers/sms_messages`, the bank deposit made with the test helper
`POST /v1/test_helpers/virtual_accounts/{number}/deposit`. Any failed check raises, so the
script exits non-zero.

Usage: korean_methods.py API_BASE SECRET_KEY. Prints one JSON line with what it saw.
"""

import json
import re
import sys
import urllib.error
import urllib.parse
import urllib.request

import stripe

from three_ds import TIMEOUT_S, browse, read_form

PHONE = "01012345678"
RETURN_URL = "https://shop.example/back"
REFUND_ACCOUNT = {"bank_code": "004", "account_number": "12345678901234", "holder_name": "홍길동"}


def helper(path, fields=None, query=None):
    """A test helper the library has no method for: (status, JSON)."""
    url = stripe.api_base + path
    if query:
        url += "?" + urllib.parse.urlencode(query)
    data = None if fields is None else urllib.parse.urlencode(fields).encode()
    req = urllib.request.Request(url, data=data, headers={"Authorization": f"Bearer {stripe.api_key}"})
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT_S) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def sms_code():
    """The newest code the carrier sent to PHONE."""
    status, msgs = helper("/v1/test_helpers/sms_messages", query={"phone": PHONE})
    assert status == 200, msgs
    m = re.search(r"인증번호 (\d{6})", msgs["data"][0]["body"])
    assert m, msgs
    return m.group(1)


def mobile_carrier():
    pi = stripe.PaymentIntent.create(
        amount=15000,
        currency="krw",
        payment_method_types=["mobile_carrier"],
        payment_method_data={"type": "mobile_carrier"},
        confirm=True,
        return_url=RETURN_URL,
    )
    assert pi.status == "requires_action", pi
    assert pi.next_action.type == "redirect_to_url", pi
    status, _, page = browse(pi.next_action.redirect_to_url.url)
    assert status == 200, (status, page)
    form = read_form(page)
    status, _, page = browse(
        urllib.parse.urljoin(pi.next_action.redirect_to_url.url, form.action),
        form.submission(carrier="skt", phone=PHONE, birth_date="19900101", consent="yes"),
    )
    assert status == 200, (status, page)
    form = read_form(page)
    status, location, page = browse(
        urllib.parse.urljoin(pi.next_action.redirect_to_url.url, form.action),
        form.submission(otp=sms_code()),
    )
    assert status == 303, (status, page)
    assert location.startswith(RETURN_URL) and "redirect_status=succeeded" in location, location
    pi = stripe.PaymentIntent.retrieve(pi.id, expand=["latest_charge"])
    details = pi.latest_charge.payment_method_details
    try:
        stripe.Refund.create(payment_intent=pi.id, amount=5000)
        partial = "accepted"
    except stripe.error.InvalidRequestError as e:
        partial = [e.http_status, e.param]
    refund = stripe.Refund.create(payment_intent=pi.id)
    charge = stripe.Charge.retrieve(pi.latest_charge.id)
    return {
        "id": pi.id,
        "status": pi.status,
        "details": [details.type, details.mobile_carrier.carrier, details.mobile_carrier.phone_last4],
        "partial_refund": partial,
        "refund": [refund.id, refund.status, refund.amount],
        "charge_refunded": charge.refunded,
    }


def deposit(number, amount):
    path = f"/v1/test_helpers/virtual_accounts/{number}/deposit"
    status, body = helper(path, {"amount": amount, "depositor_name": "홍길동"})
    assert status == 200, body
    return body


def virtual_account():
    pi = stripe.PaymentIntent.create(
        amount=30000,
        currency="krw",
        payment_method_types=["virtual_account"],
        payment_method_data={"type": "virtual_account"},
        payment_method_options={"virtual_account": {"bank": "088"}},
        confirm=True,
    )
    assert pi.status == "requires_action", pi
    instructions = pi.next_action.display_bank_transfer_instructions
    account = instructions.financial_addresses[0].kr_virtual_account
    deposit(account.account_number, 10000)
    partial = stripe.PaymentIntent.retrieve(pi.id)
    remaining = partial.next_action.display_bank_transfer_instructions.amount_remaining
    deposit(account.account_number, 20000)
    paid = stripe.PaymentIntent.retrieve(pi.id)
    try:
        stripe.Refund.create(payment_intent=pi.id, amount=5000)
        without_account = "accepted"
    except stripe.error.InvalidRequestError as e:
        without_account = [e.http_status, e.param]
    refund = stripe.Refund.create(payment_intent=pi.id, amount=5000, refund_account=REFUND_ACCOUNT)
    return {
        "id": pi.id,
        "instructions": [
            instructions.type,
            instructions.amount_remaining,
            instructions.currency,
            account.bank_code,
            account.bank_name,
            account.account_number,
        ],
        "partial": [partial.status, partial.amount_received, remaining],
        "paid": [paid.status, paid.amount_received],
        "refund_without_account": without_account,
        "refund": [
            refund.id,
            refund.status,
            refund.amount,
            refund.destination_details.type,
            refund.destination_details.kr_bank_transfer.account_number,
        ],
    }


def books():
    """The ledger and the events as the library reads them."""
    refunds = stripe.BalanceTransaction.list(type="refund", limit=10)
    events = {}
    for ev in stripe.Event.list(limit=100).auto_paging_iter():
        events[ev.type] = events.get(ev.type, 0) + 1
    return {"refund_txns": sorted(t.amount for t in refunds.data), "events": events}


def main():
    stripe.api_base, stripe.api_key = sys.argv[1], sys.argv[2]
    out = {"mobile_carrier": mobile_carrier(), "virtual_account": virtual_account()}
    out["books"] = books()
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
