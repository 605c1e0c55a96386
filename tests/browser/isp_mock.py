"""An ISP server's side of the browser client's messages, written with Python's `cryptography`
only (no paygate code), for tests/browser/test_isp_page.py: it checks what the page's script
builds by hand — the PKCS#10 CSR, the JWE (ECDH-ES + A256GCM, RFC 7518 Concat KDF), the
DER ECDSA signature over signed_data — and issues a certificate for the CSR's key."""

import base64
import datetime
import hashlib
import json
import struct

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.x509.oid import NameOID


def b64url_decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def coordinate(n):
    return b64url(n.to_bytes(32, "big"))


class MockIsp:
    """Encryption key, a one-level CA, and the checks of enrol and pay."""

    def __init__(self):
        self.enc_key = ec.generate_private_key(ec.SECP256R1())
        self.ca_key = ec.generate_private_key(ec.SECP256R1())
        self.kid = "isp-test-key-1"
        self.enrolled = []
        self.confirmed = []

    def jwk(self):
        n = self.enc_key.public_key().public_numbers()
        return {"kty": "EC", "crv": "P-256", "x": coordinate(n.x), "y": coordinate(n.y),
                "kid": self.kid, "use": "enc", "alg": "ECDH-ES"}

    def decrypt(self, compact):
        """The JWE's plaintext as JSON, after checking its header."""
        parts = compact.split(".")
        assert len(parts) == 5 and parts[1] == "", f"JWE compact with an empty key: {compact[:40]}"
        header = json.loads(b64url_decode(parts[0]))
        assert header["alg"] == "ECDH-ES" and header["enc"] == "A256GCM", header
        assert header["kid"] == self.kid, header
        epk = header["epk"]
        assert epk["kty"] == "EC" and epk["crv"] == "P-256" and "d" not in epk, epk
        peer = ec.EllipticCurvePublicNumbers(
            int.from_bytes(b64url_decode(epk["x"]), "big"),
            int.from_bytes(b64url_decode(epk["y"]), "big"), ec.SECP256R1()).public_key()
        z = self.enc_key.exchange(ec.ECDH(), peer)
        alg = b"A256GCM"
        kdf_input = (struct.pack(">I", 1) + z + struct.pack(">I", len(alg)) + alg
                     + struct.pack(">I", 0) + struct.pack(">I", 0) + struct.pack(">I", 256))
        cek = hashlib.sha256(kdf_input).digest()
        iv, ct, tag = (b64url_decode(p) for p in parts[2:])
        assert len(iv) == 12 and len(tag) == 16
        plain = AESGCM(cek).decrypt(iv, ct + tag, parts[0].encode("ascii"))
        return json.loads(plain)

    def enroll(self, body):
        """Checks the CSR and the card JWE; answers {certificate, serial}."""
        csr = x509.load_pem_x509_csr(body["csr"].encode())
        assert csr.is_signature_valid, "the CSR's self-signature verifies"
        key = csr.public_key()
        assert isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name == "secp256r1"
        assert body["password_set"] is True
        card = self.decrypt(body["card"])
        assert set(card) == {"number", "exp_month", "exp_year", "cvc"}, card
        assert isinstance(card["exp_month"], int) and isinstance(card["exp_year"], int), card
        now = datetime.datetime.now(datetime.timezone.utc)
        serial = x509.random_serial_number()
        cert = (x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ispc_test")]))
                .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test ISP CA")]))
                .public_key(key).serial_number(serial)
                .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=365))
                .sign(self.ca_key, hashes.SHA256()))
        self.enrolled.append({"card": card, "serial": f"{serial:x}"})
        return {"certificate": cert.public_bytes(serialization.Encoding.PEM).decode(),
                "serial": f"{serial:x}"}

    def confirm(self, body, expected):
        """Checks certificate, signature over the exact signed_data, the card; records it."""
        cert = x509.load_pem_x509_certificate(body["certificate"].encode())
        self.ca_key.public_key().verify(cert.signature, cert.tbs_certificate_bytes,
                                        ec.ECDSA(hashes.SHA256()))
        der = base64.b64decode(body["signature"], validate=True)
        cert.public_key().verify(der, body["signed_data"].encode(), ec.ECDSA(hashes.SHA256()))
        signed = json.loads(body["signed_data"])
        assert list(signed) == ["payment_intent", "merchant", "amount", "currency", "signed_at"]
        for k, v in expected.items():
            assert signed[k] == v, (k, signed[k], v)
        at = datetime.datetime.strptime(signed["signed_at"], "%Y-%m-%dT%H:%M:%SZ")
        skew = abs((datetime.datetime.utcnow() - at).total_seconds())
        assert skew < 300, f"signed_at {signed['signed_at']} is {skew}s off"
        card = self.decrypt(body["card"])
        self.confirmed.append({"signed": signed, "card": card, "serial": f"{cert.serial_number:x}"})
