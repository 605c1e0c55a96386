"""An ISP (안전결제) payer client written from the wire contract alone (docs/ISP.md), with
PyPI's `cryptography` and `jwcrypto` - none of paygate's own code. It enrols cards at the ISP
server, then drives every check of the ISP server through paygate's
`POST /v1/payment_intents/:id/confirm` (publishable key + client_secret) and prints one JSON
object: for each scenario, the HTTP status, the error object and the intent after it.

usage: isp_client.py PAYGATE_URL SECRET_KEY PUBLISHABLE_KEY ISP_URL
"""

import base64
import datetime
import json
import sys
import urllib.error
import urllib.parse
import urllib.request

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from jwcrypto import jwe, jwk

PAYGATE, SK, PK, ISP = sys.argv[1:5]
VISA = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2034, "cvc": "123"}
MASTERCARD = {"number": "5555555555554444", "exp_month": 11, "exp_year": 2033, "cvc": "321"}
# Enrols (the issuer issues for it) but the authorization declines: insufficient funds.
NO_FUNDS = {"number": "4000000000009995", "exp_month": 10, "exp_year": 2032, "cvc": "456"}


def http(method, url, body=None, headers=None, form=None):
    data, hdrs = None, dict(headers or {})
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
        hdrs["Content-Type"] = "application/x-www-form-urlencoded"
    elif body is not None:
        data = json.dumps(body).encode()
        hdrs["Content-Type"] = "application/json"
    req = urllib.request.Request(url, data=data, method=method, headers=hdrs)
    try:
        with urllib.request.urlopen(req, timeout=20) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def isp(method, path, body=None):
    return http(method, ISP + path, body)


def api(method, path, form=None, key=SK):
    return http(method, PAYGATE + path, form=form, headers={"Authorization": "Bearer " + key})


def b64(data):
    return base64.b64encode(data).decode()


class Holder:
    """One enrolled card: the payer's own P-256 key and the certificate the ISP CA issued."""

    def __init__(self, card):
        self.card = card
        self.key = ec.generate_private_key(ec.SECP256R1())
        csr = (
            x509.CertificateSigningRequestBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "isp-holder")]))
            .sign(self.key, hashes.SHA256())
        )
        self.csr_pem = csr.public_bytes(serialization.Encoding.PEM).decode()
        status, out = isp("POST", "/v1/enroll",
                          {"csr": self.csr_pem, "card": jwe_card(card), "password_set": True})
        assert status == 200, (status, out)
        self.certificate, self.serial = out["certificate"], out["serial"]

    def sign(self, text):
        return b64(self.key.sign(text.encode(), ec.ECDSA(hashes.SHA256())))


def jwe_card(card):
    """The card as JWE compact: ECDH-ES (direct key agreement), A256GCM, the server's kid."""
    status, key = isp("GET", "/v1/encryption_key")
    assert status == 200 and key["crv"] == "P-256", key
    pub = jwk.JWK(kty="EC", crv="P-256", x=key["x"], y=key["y"], kid=key["kid"])
    protected = {"alg": "ECDH-ES", "enc": "A256GCM", "kid": key["kid"]}
    token = jwe.JWE(json.dumps(card).encode(), protected=json.dumps(protected))
    token.add_recipient(pub)
    return token.serialize(compact=True)


def now(offset_s=0):
    t = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=offset_s)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def signed_data(req, **override):
    fields = {
        "payment_intent": req["payment_intent"],
        "merchant": req["merchant"],
        "amount": req["amount"],
        "currency": req["currency"],
        "signed_at": now(),
    }
    fields.update(override)
    return json.dumps(fields, separators=(",", ":"))


def new_intent(amount=15000):
    """An intent put in requires_action by a confirm without the signed fields: the client reads
    what to sign from next_action.isp_signature_request."""
    status, pi = api("POST", "/v1/payment_intents", {
        "amount": amount, "currency": "krw", "payment_method_types[]": "isp",
        "return_url": "https://shop.example/return"})
    assert status == 200, pi
    status, pi = api("POST", "/v1/payment_intents/%s/confirm" % pi["id"], {
        "client_secret": pi["client_secret"], "payment_method_data[type]": "isp"}, key=PK)
    assert status == 200 and pi["status"] == "requires_action", pi
    req = pi["next_action"]["isp_signature_request"]
    assert req["isp_url"] and req["payment_intent"] == pi["id"], req
    return pi, req


def confirm(pi, certificate, text, signature, card):
    status, out = api("POST", "/v1/payment_intents/%s/confirm" % pi["id"], {
        "client_secret": pi["client_secret"],
        "payment_method_data[type]": "isp",
        "payment_method_data[isp][certificate]": certificate,
        "payment_method_data[isp][signed_data]": text,
        "payment_method_data[isp][signature]": signature,
        "payment_method_data[isp][card]": card,
    }, key=PK)
    _, after = api("GET", "/v1/payment_intents/%s?expand[]=latest_charge" % pi["id"])
    return {"status": status, "error": out.get("error"), "intent": after, "answer": out}


def untrusted_certificate(holder):
    """A certificate for the holder's own key from a CA the ISP server never saw."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Not the ISP CA")])
    t = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ispc_forged")]))
        .issuer_name(name)
        .public_key(holder.key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(t - datetime.timedelta(days=1))
        .not_valid_after(t + datetime.timedelta(days=365))
        .sign(ca_key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def scenarios():
    out = {}
    visa, master, poor = Holder(VISA), Holder(MASTERCARD), Holder(NO_FUNDS)
    status, ca = isp("GET", "/v1/ca")
    out["ca_count"] = len(ca["certificates"])
    out["serial"] = visa.serial

    def run(name, make):
        pi, req = new_intent()
        sent = make(pi, req)
        out[name] = confirm(pi, *sent)
        out[name]["sent"] = {"signed_data": sent[1], "signature": sent[2]}
        return pi, req

    card = jwe_card(VISA)
    run("verified", lambda pi, r: (visa.certificate, t := signed_data(r), visa.sign(t), card))
    run("mastercard", lambda pi, r: (master.certificate, t := signed_data(r), master.sign(t),
                                     jwe_card(MASTERCARD)))
    run("isp_certificate_invalid",
        lambda pi, r: ("-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n",
                       t := signed_data(r), visa.sign(t), jwe_card(VISA)))
    run("isp_certificate_untrusted",
        lambda pi, r: (untrusted_certificate(visa), t := signed_data(r), visa.sign(t),
                       jwe_card(VISA)))
    run("isp_signature_invalid",
        lambda pi, r: (visa.certificate, signed_data(r), visa.sign("something else"),
                       jwe_card(VISA)))
    run("isp_signed_data_invalid",
        lambda pi, r: (visa.certificate, t := "not json at all", visa.sign(t), jwe_card(VISA)))
    run("isp_signed_data_mismatch",
        lambda pi, r: (visa.certificate, t := signed_data(r, amount=r["amount"] - 1),
                       visa.sign(t), jwe_card(VISA)))
    run("isp_signature_expired",
        lambda pi, r: (visa.certificate, t := signed_data(r, signed_at=now(-600)), visa.sign(t),
                       jwe_card(VISA)))
    run("isp_card_invalid",
        lambda pi, r: (visa.certificate, t := signed_data(r), visa.sign(t), "a.b.c.d.e"))
    run("isp_card_mismatch",
        lambda pi, r: (visa.certificate, t := signed_data(r), visa.sign(t),
                       jwe_card(MASTERCARD)))
    # A verified signature is used up whatever happens after: here the issuer declines the
    # authorization, and the same signature again on the same intent is a replay.
    pi, req = new_intent()
    text = signed_data(req)
    sig = poor.sign(text)
    out["replay_first"] = confirm(pi, poor.certificate, text, sig, jwe_card(NO_FUNDS))
    out["isp_signature_replayed"] = confirm(pi, poor.certificate, text, sig, jwe_card(NO_FUNDS))
    out["isp_signature_replayed"]["sent"] = {"signed_data": text, "signature": sig}
    # A fresh signature with another card then pays the same intent.
    text = signed_data(req)
    out["after_replay"] = confirm(pi, visa.certificate, text, visa.sign(text), jwe_card(VISA))
    # Revocation last: the holder's certificate no longer pays.
    status, revoked = isp("POST", "/v1/revoke", {"serial": visa.serial})
    assert status == 200 and revoked["revoked"] is True, revoked
    run("isp_certificate_revoked",
        lambda pi, r: (visa.certificate, t := signed_data(r), visa.sign(t), jwe_card(VISA)))
    return out


if __name__ == "__main__":
    print(json.dumps(scenarios()))
