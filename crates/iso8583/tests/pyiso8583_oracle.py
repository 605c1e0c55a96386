"""pyiso8583 4.0.1 as an oracle for tests/pyiso8583_crosscheck/.

Reads one JSON object {"requests": [...]} on stdin and writes {"responses": [...]} on stdout,
one response per request, in order. Bytes travel as hex strings, never through shell quoting.

Requests:
  {"op": "spec",   "spec": "default" | "default_ascii"}
      -> {"ok": true, "fields": {"h": {...}, "t": {...}, "p": {...}, "1": {...}, ..., "128": {...}}}
  {"op": "decode", "spec": ..., "hex": "..."}
      -> {"ok": true, "doc": {"t": ..., "p": ..., "2": ...}} or {"ok": false, "error": "..."}
  {"op": "encode", "spec": ..., "doc": {"t": ..., "2": ...}}
      -> {"ok": true, "hex": "..."} or {"ok": false, "error": "..."}

Binary fields are hex strings in pyiso8583 documents (upper case when decoded).
"""

import copy
import json
import sys

import iso8583
import iso8583.specs

SPECS = {"default": iso8583.specs.default, "default_ascii": iso8583.specs.default_ascii}


def handle(request):
    spec = SPECS[request["spec"]]
    op = request["op"]
    if op == "spec":
        return {"ok": True, "fields": spec}
    try:
        if op == "decode":
            doc, _ = iso8583.decode(bytes.fromhex(request["hex"]), spec)
            return {"ok": True, "doc": doc}
        if op == "encode":
            # encode() adds the bitmaps to the dict it is given: hand it a copy.
            raw, _ = iso8583.encode(copy.deepcopy(request["doc"]), spec)
            return {"ok": True, "hex": bytes(raw).hex().upper()}
    except (iso8583.DecodeError, iso8583.EncodeError) as e:
        return {"ok": False, "error": str(e)}
    raise ValueError(f"unknown op {op!r}")


def main():
    if iso8583.__version__ != "4.0.1":
        sys.exit(f"expected pyiso8583 4.0.1, found {iso8583.__version__}")
    requests = json.load(sys.stdin)["requests"]
    json.dump({"responses": [handle(r) for r in requests]}, sys.stdout)


if __name__ == "__main__":
    main()
