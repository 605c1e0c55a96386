# Checkout Sessions through the official stripe library, unmodified: create (payment and
# setup mode), retrieve, list, list_line_items, expire. Prints one JSON line.
import json, sys, stripe

base, key = sys.argv[1], sys.argv[2]
stripe.api_key = key
stripe.api_base = base
out = {}
cs = stripe.checkout.Session.create(
    mode="payment",
    success_url="https://shop.example/done?session={CHECKOUT_SESSION_ID}",
    cancel_url="https://shop.example/cart",
    line_items=[
        {"price_data": {"currency": "krw", "unit_amount": 12000,
                        "product_data": {"name": "티셔츠"}}, "quantity": 2},
        {"price_data": {"currency": "krw", "unit_amount": 3000,
                        "product_data": {"name": "배송비"}}, "quantity": 1},
    ],
    payment_method_types=["card"],
    locale="ko",
    metadata={"order": "A-1"},
    client_reference_id="A-1",
)
out["created"] = [cs.object, cs.status, cs.payment_status, cs.amount_total, cs.currency]
out["url"] = cs.url
got = stripe.checkout.Session.retrieve(cs.id)
out["retrieved"] = [got.id == cs.id, got.metadata["order"], got.payment_intent == cs.payment_intent]
items = stripe.checkout.Session.list_line_items(cs.id, limit=5)
out["items"] = [[i.description, i.quantity, i.amount_total] for i in items.data]
setup = stripe.checkout.Session.create(mode="setup", currency="krw",
                                       success_url="https://shop.example/saved")
out["setup"] = [setup.mode, setup.payment_status, setup.setup_intent.startswith("seti_")]
lst = stripe.checkout.Session.list(limit=1)
out["list"] = [len(lst.data), lst.has_more, lst.data[0].id == setup.id]
expired = stripe.checkout.Session.expire(setup.id)
out["expired"] = expired.status
try:
    stripe.checkout.Session.expire(setup.id)
    out["expire_again"] = "no error"
except stripe.error.InvalidRequestError as e:
    out["expire_again"] = [e.http_status, e.code]
try:
    stripe.checkout.Session.create(mode="payment", success_url="https://shop.example/",
        line_items=[{"price_data": {"currency": "krw", "unit_amount": 1000,
                                    "product_data": {"name": "x"}}, "quantity": 0}])
    out["bad"] = "no error"
except stripe.error.InvalidRequestError as e:
    out["bad"] = [e.http_status, e.param]
print(json.dumps(out, ensure_ascii=False))
