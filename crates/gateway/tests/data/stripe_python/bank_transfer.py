"""계좌이체 (bank_transfer) through the official `stripe` Python library, unmodified.

The merchant's side is `stripe` only. The payer is the standard library (`three_ds.browse`,
`read_form`): paygate's bank choice page, the bank's own login and approval pages and
paygate's return page, each form posted as a browser without JavaScript would, no redirect
followed by itself. Any failed check raises, so the script exits non-zero.

Usage: bank_transfer.py API_BASE SECRET_KEY. Prints one JSON line with what it saw.
"""

import json
import sys
import urllib.parse

import stripe

from three_ds import browse, read_form

RETURN_URL = "https://shop.example/back"
# Test accounts of the bank simulator (docs/BANK_TRANSFER.md).
PLENTY = ("004", "12345678901234", "1111")
LITTLE = ("081", "12391012345678", "4444")


def submit(url, page, **typed):
    """Submits the page's first form as a browser would: (its URL, status, Location, body)."""
    form = read_form(page)
    target = urllib.parse.urljoin(url, form.action)
    fields = form.submission(**typed)
    if form.method == "get":
        query = urllib.parse.urlencode(fields)
        return (target, *browse(target + ("?" + query if query else "")))
    return (target, *browse(target, fields))


def pay(amount, account):
    """Confirms with the library, then the payer's pages: (intent id, return Location)."""
    bank, number, password = account
    pi = stripe.PaymentIntent.create(
        amount=amount,
        currency="krw",
        payment_method_types=["bank_transfer"],
        payment_method_data={"type": "bank_transfer"},
        confirm=True,
        return_url=RETURN_URL,
    )
    assert pi.status == "requires_action", pi
    assert pi.next_action.type == "redirect_to_url", pi
    url = pi.next_action.redirect_to_url.url
    status, _, page = browse(url)
    assert status == 200 and 'name="bank"' in page, (status, page)
    url, status, _, page = submit(url, page, bank=bank)
    assert status == 200, (status, page)
    url, status, _, page = submit(url, page)
    assert status == 200 and 'name="password"' in page, (url, status, page)
    url, status, _, page = submit(url, page, account_number=number, password=password)
    assert status == 200 and 'id="approve"' in page, (status, page)
    url, status, back, page = submit(url, page)
    assert status == 303 and f"/pay/bank_transfer/{pi.id}/return" in back, (status, back, page)
    status, location, page = browse(back)
    assert status == 303 and location.startswith(RETURN_URL), (status, location, page)
    return pi.id, location


def refund_error(**params):
    try:
        stripe.Refund.create(**params)
        return "accepted"
    except stripe.error.InvalidRequestError as e:
        return [e.http_status, e.param]


def paid():
    pi_id, location = pay(50000, PLENTY)
    assert "redirect_status=succeeded" in location, location
    pi = stripe.PaymentIntent.retrieve(pi_id, expand=["latest_charge"])
    details = pi.latest_charge.payment_method_details
    charge_txn = stripe.BalanceTransaction.list(source=pi.latest_charge.id).data
    with_account = refund_error(
        payment_intent=pi_id,
        amount=1000,
        refund_account={"bank_code": "004", "account_number": "12345678901234", "holder_name": "홍길동"},
    )
    part = stripe.Refund.create(payment_intent=pi_id, amount=20000)
    rest = stripe.Refund.create(payment_intent=pi_id)
    charge = stripe.Charge.retrieve(pi.latest_charge.id)
    return {
        "id": pi.id,
        "status": pi.status,
        "amount_received": pi.amount_received,
        "details": [
            details.type,
            details.bank_transfer.bank_code,
            details.bank_transfer.bank_name,
            details.bank_transfer.account_last4,
        ],
        "charge_txns": [[t.type, t.amount, t.fee, t.net] for t in charge_txn],
        "refund_with_account": with_account,
        "refunds": [
            [r.id, r.status, r.amount, r.destination_details.type,
             r.destination_details.kr_bank_transfer.account_number]
            for r in (part, rest)
        ],
        "charge": [charge.refunded, charge.amount_refunded],
    }


def declined():
    pi_id, location = pay(80000, LITTLE)
    assert "redirect_status=failed" in location, location
    pi = stripe.PaymentIntent.retrieve(pi_id)
    err = pi.last_payment_error
    return {"id": pi.id, "status": pi.status, "error": [err.type, err.decline_code]}


def books():
    """The ledger and the events as the library reads them."""
    refunds = stripe.BalanceTransaction.list(type="refund", limit=10)
    events = {}
    for ev in stripe.Event.list(limit=100).auto_paging_iter():
        events[ev.type] = events.get(ev.type, 0) + 1
    nets = sum(t.net for t in stripe.BalanceTransaction.list(limit=100).auto_paging_iter())
    balance = stripe.Balance.retrieve()
    held = sum(b.amount for b in balance.available + balance.pending if b.currency == "krw")
    return {
        "refund_txns": sorted(t.amount for t in refunds.data),
        "events": events,
        "balance": [held, nets],
    }


def main():
    stripe.api_base, stripe.api_key = sys.argv[1], sys.argv[2]
    out = {"paid": paid(), "declined": declined()}
    out["books"] = books()
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
