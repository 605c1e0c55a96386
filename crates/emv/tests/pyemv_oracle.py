"""Independent oracle for paygate-emv: random cards and transactions, their Visa CVN 18 ARQC
and ARPC (method 2) and a Mastercard CVC3 over paygate's MST track template, all computed by
pyemv 1.5.0 (MIT), the DE 55 encoded by pyemv's own TLV encoder. One JSON list on stdout."""
import json
import random
import sys

from pyemv import cvn, cvv, kd, tlv

rng = random.Random(int(sys.argv[1]))
cases = []
for _ in range(int(sys.argv[2])):
    imk = bytes(rng.getrandbits(8) for _ in range(16))
    pan = "".join(rng.choice("0123456789") for _ in range(16))
    psn = "%02d" % rng.randrange(100)
    atc = rng.randrange(1, 65536).to_bytes(2, "big")
    tags = {
        "9F02": ("%012d" % rng.randrange(1, 10**9)).encode(),
        "9F03": bytes(6),
        "9F1A": bytes.fromhex("0410"),
        "95": bytes(rng.getrandbits(8) for _ in range(5)),
        "5F2A": bytes.fromhex("0410"),
        "9A": bytes.fromhex("261202"),
        "9C": b"\x00",
        "9F37": bytes(rng.getrandbits(8) for _ in range(4)),
        "82": bytes.fromhex("1800"),
        "9F36": atc,
        "9F10": bytes.fromhex("06011203A0B800"),
    }
    tags["9F02"] = bytes.fromhex(tags["9F02"].decode())
    card = cvn.VisaCVN18(imk, imk, imk, pan, psn)
    arqc = card.generate_ac(*(tags[t] for t in ["9F02", "9F03", "9F1A", "95", "5F2A", "9A", "9C", "9F37", "82", "9F36", "9F10"]))
    csu = bytes.fromhex(rng.choice(["00800000", "00000000"]))
    arpc = card.generate_arpc(arqc, atc, csu)
    de55 = tlv.encode({**tags, "5F34": bytes.fromhex(psn), "9F26": arqc, "9F27": b"\x80"})
    # Mastercard CVC3 over paygate's MST track template (PAN D YYMM SSS 13 zeros F).
    template = bytes.fromhex(pan + "D" + "3412" + "101" + "0" * 13 + "F")
    un = rng.randrange(1000)
    icc_cvc3 = kd.derive_icc_mk_a(imk, pan, "00")
    cvc3 = cvv.generate_cvc3(icc_cvc3, template, atc, bytes.fromhex("%08d" % un))
    cases.append({
        "imk": imk.hex().upper(), "pan": pan, "psn": psn, "atc": int.from_bytes(atc, "big"),
        "de55": de55.hex().upper(), "arqc": arqc.hex().upper(), "csu": csu.hex().upper(),
        "arpc": arpc.hex().upper(), "un": un, "cvc3": int(cvc3),
    })
json.dump(cases, sys.stdout)
