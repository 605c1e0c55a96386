"""Billing keys through the official `stripe` Python library, unmodified: a SetupIntent saves a
card for a customer, then off-session PaymentIntents charge it (recurring and unscheduled);
a declined setup, `authentication_required` off-session and `setup_future_usage`.

Usage: billing.py API_BASE SECRET_KEY. Any failed check raises, so the script exits non-zero.
Prints one JSON line with the ids and statuses it saw.
"""

import json
import sys

import stripe

stripe.api_base, stripe.api_key = sys.argv[1], sys.argv[2]
out = {}

cus = stripe.Customer.create(name="Kim", email="kim@example.kr")
si = stripe.SetupIntent.create(customer=cus.id, usage="off_session")
assert si.status == "requires_payment_method", si
si = stripe.SetupIntent.confirm(si.id, payment_method="pm_card_visa")
assert si.status == "succeeded", si
pm = stripe.PaymentMethod.retrieve(si.payment_method)
assert pm.customer == cus.id, pm
assert pm.card.checks.cvc_check in ("pass", "unavailable", None), pm
out["setup"] = [si.id, si.status, si.payment_method]

recurring = stripe.PaymentIntent.create(
    amount=9900, currency="krw", customer=cus.id, payment_method=si.payment_method,
    off_session="recurring", confirm=True)
assert recurring.status == "succeeded", recurring
one_off = stripe.PaymentIntent.create(
    amount=1500, currency="krw", customer=cus.id, payment_method=si.payment_method,
    off_session=True, confirm=True)
assert one_off.status == "succeeded", one_off
out["charges"] = [recurring.id, one_off.id]

try:
    stripe.SetupIntent.create(customer=cus.id, confirm=True,
                              payment_method="pm_card_chargeDeclined")
    raise AssertionError("a declined card was set up")
except stripe.error.CardError as e:
    assert e.http_status == 402, e
    out["declined"] = [e.code, e.error.setup_intent.status]

pm3ds = stripe.PaymentMethod.create(type="card", card={
    "number": "4000002760003184", "exp_month": 12, "exp_year": 2034})
stripe.PaymentMethod.attach(pm3ds.id, customer=cus.id)
try:
    stripe.PaymentIntent.create(amount=5000, currency="krw", customer=cus.id,
                                payment_method=pm3ds.id, off_session=True, confirm=True)
    raise AssertionError("an off-session charge needing authentication succeeded")
except stripe.error.CardError as e:
    out["auth_required"] = [e.code, e.error.payment_intent.status]

saved = stripe.PaymentIntent.create(amount=12000, currency="krw", customer=cus.id,
                                    payment_method="pm_card_mastercard",
                                    setup_future_usage="off_session", confirm=True)
assert saved.status == "succeeded" and saved.setup_future_usage == "off_session", saved
again = stripe.PaymentIntent.create(amount=12000, currency="krw", customer=cus.id,
                                    payment_method=saved.payment_method,
                                    off_session="recurring", confirm=True)
assert again.status == "succeeded", again
out["saved"] = [saved.payment_method, again.id]

listed = stripe.SetupIntent.list(customer=cus.id)
out["listed"] = len(listed.data)
canceled = stripe.SetupIntent.cancel(stripe.SetupIntent.create(customer=cus.id).id)
out["canceled"] = canceled.status
print(json.dumps(out))
