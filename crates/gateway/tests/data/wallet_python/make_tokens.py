"""Wallet tokens made at test time, independently of paygate's code, from the published formats
(docs/WALLETS.md, Apple's "Payment Token Format Reference", Samsung's paymentCredential):

- a throwaway PKI: root -> intermediate (extension 1.2.840.113635.100.6.2.14) -> signing leaf
  (1.2.840.113635.100.6.29), plus a second, untrusted root with the same shape;
- a merchant payment processing certificate (extension 1.2.840.113635.100.6.32 = hex SHA-256 of
  the merchant id) and P-256 key, and a second, unregistered one;
- Apple Pay EC_v1 tokens: ephemeral ECDH, the NIST single-step KDF, AES-256-GCM with a 16-byte
  zero IV, a detached CMS signature (OpenSSL via `cryptography`'s PKCS7 builder, which adds the
  signingTime) over ephemeralPublicKey || data || transactionId;
- Apple Pay RSA_v1 tokens ("Restoring the symmetric key"): a random AES-256 key wrapped with
  RSA/ECB/OAEPWithSHA256AndMGF1Padding to the merchant's RSA processing certificate
  (`header.wrappedKey`; MGF1 over SHA-256, and one token with MGF1 over SHA-1, the Java
  reading of that name), the same AES-256-GCM, and the CMS signature by an RSA leaf
  ("rsa-smp-broker-sign") over wrappedKey || data || transactionId;
- Samsung Pay JWE tokens: RSA1_5 CEK, AES-128-GCM with an EMPTY AAD, kid = b64 SHA-256(SPKI).

Usage: make_tokens.py OUT.json. Prints nothing; OUT.json holds PEMs and tokens.
"""

import base64
import datetime as dt
import hashlib
import json
import os
import sys
import time

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import NameOID

LEAF_OID = x509.ObjectIdentifier("1.2.840.113635.100.6.29")
INTERMEDIATE_OID = x509.ObjectIdentifier("1.2.840.113635.100.6.2.14")
MERCHANT_ID_OID = x509.ObjectIdentifier("1.2.840.113635.100.6.32")
MERCHANT_ID = "merchant.test.paygate.wallet"

NOW = dt.datetime.now(dt.timezone.utc)
b64 = lambda b: base64.b64encode(b).decode()
b64url = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def cert(subject, issuer_name, public_key, issuer_key, extensions=(), ca=False):
    b = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer_name)]))
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - dt.timedelta(days=1))
        .not_valid_after(NOW + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    for oid, value in extensions:
        b = b.add_extension(x509.UnrecognizedExtension(oid, value), critical=False)
    return b.sign(issuer_key, hashes.SHA256())


def pki(name):
    """(root cert, intermediate cert, EC leaf cert, leaf key, RSA leaf cert, its key) under a
    fresh root named `name`."""
    root_key = ec.generate_private_key(ec.SECP384R1())
    root = cert(name, name, root_key.public_key(), root_key, ca=True)
    inter_key = ec.generate_private_key(ec.SECP256R1())
    inter = cert(name + " Integration CA", name, inter_key.public_key(), root_key,
                 [(INTERMEDIATE_OID, b"\x05\x00")], ca=True)
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    leaf = cert("ecc-smp-broker-sign", name + " Integration CA", leaf_key.public_key(), inter_key,
                [(LEAF_OID, b"\x05\x00")])
    rsa_leaf_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    rsa_leaf = cert("rsa-smp-broker-sign", name + " Integration CA", rsa_leaf_key.public_key(),
                    inter_key, [(LEAF_OID, b"\x05\x00")])
    return root, inter, leaf, leaf_key, rsa_leaf, rsa_leaf_key


def merchant(kind="ec"):
    if kind == "rsa":
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    else:
        key = ec.generate_private_key(ec.SECP256R1())
    hex_id = hashlib.sha256(MERCHANT_ID.encode()).hexdigest().upper().encode()
    utf8 = b"\x0c" + bytes([len(hex_id)]) + hex_id
    # Self-signed: paygate only reads its key, hash and merchant id extension.
    c = cert("Merchant ID: " + MERCHANT_ID, "Apple Worldwide Developer Relations CA",
             key.public_key(), key, [(MERCHANT_ID_OID, utf8)])
    return c, key


def apple_payload(dpan, eci):
    payload = {
        "applicationPrimaryAccountNumber": dpan,
        "applicationExpirationDate": "301231",
        "currencyCode": "410",
        "transactionAmount": 15000,
        "deviceManufacturerIdentifier": "040010030273",
        "paymentDataType": "3DSecure",
        "paymentData": {"onlinePaymentCryptogram": b64(os.urandom(20))},
    }
    if eci is not None:
        payload["paymentData"]["eciIndicator"] = eci
    return json.dumps(payload).encode()


def cms_sign(leaf, leaf_key, inter, content):
    return (
        pkcs7.PKCS7SignatureBuilder()
        .set_data(content)
        .add_signer(leaf, leaf_key, hashes.SHA256())
        .add_certificate(inter)
        .sign(serialization.Encoding.DER, [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.Binary,
                                           pkcs7.PKCS7Options.NoCapabilities])
    )


def key_hash(merchant_cert):
    spki = merchant_cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return b64(hashlib.sha256(spki).digest())


def apple_token(chain, merchant_cert, *, dpan, eci, tamper=False):
    _, inter, leaf, leaf_key, _, _ = chain
    eph = ec.generate_private_key(ec.SECP256R1())
    z = eph.exchange(ec.ECDH(), merchant_cert.public_key())
    party_v = hashlib.sha256(MERCHANT_ID.encode()).digest()
    key = hashlib.sha256(b"\x00\x00\x00\x01" + z + b"\x0did-aes256-GCM" + b"Apple" + party_v).digest()
    data = AESGCM(key).encrypt(b"\x00" * 16, apple_payload(dpan, eci), None)
    eph_spki = eph.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    txid = os.urandom(32)
    sig = cms_sign(leaf, leaf_key, inter, eph_spki + data + txid)
    if tamper:
        data = bytes([data[0] ^ 1]) + data[1:]
    return json.dumps({
        "version": "EC_v1",
        "data": b64(data),
        "signature": b64(sig),
        "header": {
            "ephemeralPublicKey": b64(eph_spki),
            "publicKeyHash": key_hash(merchant_cert),
            "transactionId": txid.hex(),
        },
    })


def rsa_token(chain, merchant_cert, *, dpan, mgf1=hashes.SHA256, wrap_to=None, tamper=False):
    """RSA_v1: the AES key wrapped to `wrap_to` (default: the merchant certificate's key) while
    publicKeyHash names `merchant_cert`."""
    _, inter, _, _, leaf, leaf_key = chain
    aes_key = os.urandom(32)
    data = AESGCM(aes_key).encrypt(b"\x00" * 16, apple_payload(dpan, "5"), None)
    oaep = padding.OAEP(mgf=padding.MGF1(algorithm=mgf1()), algorithm=hashes.SHA256(), label=None)
    wrapped = (wrap_to or merchant_cert).public_key().encrypt(aes_key, oaep)
    txid = os.urandom(32)
    sig = cms_sign(leaf, leaf_key, inter, wrapped + data + txid)
    if tamper:
        data = bytes([data[0] ^ 1]) + data[1:]
    return json.dumps({
        "version": "RSA_v1",
        "data": b64(data),
        "signature": b64(sig),
        "header": {
            "wrappedKey": b64(wrapped),
            "publicKeyHash": key_hash(merchant_cert),
            "transactionId": txid.hex(),
        },
    })


def samsung_token(rsa_key, *, dpan, age_s=0, tamper=False):
    """`age_s`: how old its `utc` is; `tamper`: one bit of the ciphertext flipped."""
    payload = json.dumps({
        "amount": "15000", "currency_code": "KRW", "utc": str(int((time.time() - age_s) * 1000)),
        "eci_indicator": "05", "tokenPAN": dpan, "tokenPanExpiration": "1230",
        "cryptogram": b64(os.urandom(20)),
    }).encode()
    spki = rsa_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    header = {"alg": "RSA1_5", "kid": b64(hashlib.sha256(spki).digest()), "typ": "JOSE",
              "channelSecurityContext": "RSA_PKI", "enc": "A128GCM"}
    cek, iv = os.urandom(16), os.urandom(12)
    wrapped = rsa_key.public_key().encrypt(cek, padding.PKCS1v15())
    sealed = AESGCM(cek).encrypt(iv, payload, b"")  # Samsung's empty AAD
    if tamper:
        sealed = bytes([sealed[0] ^ 1]) + sealed[1:]
    jwe = ".".join([b64url(json.dumps(header).encode()), b64url(wrapped), b64url(iv),
                    b64url(sealed[:-16]), b64url(sealed[-16:])])
    return json.dumps({"method": "3DS", "card_last4digits": dpan[-4:],
                       "3DS": {"type": "S", "version": "100", "data": jwe}})


def key_pem(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def main(out):
    trusted, untrusted = pki("Throwaway Root"), pki("Untrusted Root")
    m_cert, m_key = merchant()
    other_cert, _ = merchant()
    rsa_cert, rsa_key = merchant("rsa")
    other_rsa_cert, _ = merchant("rsa")
    samsung_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    other_samsung = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    signed_at = int(time.time())
    doc = {
        "signed_at": signed_at,
        "root_pem": pem(trusted[0]),
        "merchant_certificate_pem": pem(m_cert),
        "merchant_key_pem": key_pem(m_key),
        "merchant_rsa_certificate_pem": pem(rsa_cert),
        "merchant_rsa_key_pem": key_pem(rsa_key),
        "samsung_key_pem": key_pem(samsung_key),
        "apple": {
            "visa": apple_token(trusted, m_cert, dpan="4895370000000015", eci="5"),
            "mastercard": apple_token(trusted, m_cert, dpan="5399990000000018", eci=None),
            "stale": apple_token(trusted, m_cert, dpan="4895370000000015", eci="5"),
            "tampered": apple_token(trusted, m_cert, dpan="4895370000000015", eci="5", tamper=True),
            "wrong_root": apple_token(untrusted, m_cert, dpan="4895370000000015", eci="5"),
            "wrong_key": apple_token(trusted, other_cert, dpan="4895370000000015", eci="5"),
        },
        "apple_rsa": {
            "visa": rsa_token(trusted, rsa_cert, dpan="4895370000000015"),
            "mgf1_sha1": rsa_token(trusted, rsa_cert, dpan="5399990000000018", mgf1=hashes.SHA1),
            "stale": rsa_token(trusted, rsa_cert, dpan="4895370000000015"),
            "tampered": rsa_token(trusted, rsa_cert, dpan="4895370000000015", tamper=True),
            "wrong_root": rsa_token(untrusted, rsa_cert, dpan="4895370000000015"),
            "wrong_key": rsa_token(trusted, other_rsa_cert, dpan="4895370000000015"),
            "undecryptable": rsa_token(trusted, rsa_cert, dpan="4895370000000015",
                                       wrap_to=other_rsa_cert),
        },
        "samsung": {
            "visa": samsung_token(samsung_key, dpan="4895370000000023"),
            "wrong_key": samsung_token(other_samsung, dpan="4895370000000023"),
            "stale": samsung_token(samsung_key, dpan="4895370000000023", age_s=600),
            "tampered": samsung_token(samsung_key, dpan="4895370000000023", tamper=True),
        },
    }
    with open(out, "w") as f:
        json.dump(doc, f)


if __name__ == "__main__":
    main(sys.argv[1])
