"""3-D Secure during a SetupIntent confirm through the official `stripe` Python library.

The merchant's side is `stripe` only; the payer's browser is the standard library (the form
reader and `browse` of three_ds.py): confirm -> requires_action -> the redirect, the ACS
password page -> back to the shop -> succeeded. Any failed check raises.

Usage: setup_three_ds.py API_BASE SECRET_KEY. Prints one JSON line with what it checked.
"""

import json
import sys
import urllib.parse

import stripe

from three_ds import RETURN_URL, TIMEOUT_S, browse, challenge

ALWAYS_AUTHENTICATE = "4000002760003184"


def main():
    stripe.api_base, stripe.api_key = sys.argv[1], sys.argv[2]
    stripe.max_network_retries = 0
    stripe.default_http_client = stripe.new_default_http_client(timeout=TIMEOUT_S)
    customer = stripe.Customer.create(name="Kim")
    si = stripe.SetupIntent.create(
        customer=customer.id,
        usage="off_session",
        confirm=True,
        payment_method_data={
            "type": "card",
            "card": {
                "number": ALWAYS_AUTHENTICATE,
                "exp_month": 12,
                "exp_year": 2034,
                "cvc": "123",
            },
        },
        return_url=RETURN_URL,
    )
    assert si.status == "requires_action", si
    assert si.next_action.type == "redirect_to_url", si
    assert si.next_action.redirect_to_url.return_url == RETURN_URL, si

    cres = challenge(si, ["1234"])
    status, location, body = browse(cres.action, cres.submission())
    assert status == 303, (status, body)
    assert location and location.startswith(RETURN_URL + "?"), location
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(location).query)
    assert q["setup_intent"] == [si.id], location
    assert q["setup_intent_client_secret"] == [si.client_secret], location
    assert q["redirect_status"] == ["succeeded"], location

    done = stripe.SetupIntent.retrieve(si.id, expand=["payment_method"])
    assert done.status == "succeeded", done
    pm = done.payment_method
    assert pm.customer == customer.id, pm
    assert pm.card.last4 == "3184", pm
    print(json.dumps({"setup": [done.id, done.status, pm.id, pm.card.checks.cvc_check]}))


if __name__ == "__main__":
    main()
