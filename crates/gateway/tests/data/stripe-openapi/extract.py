#!/usr/bin/env python3
"""Extracts the part of Stripe's OpenAPI description (stripe/openapi, MIT, see LICENSE and
ORIGIN.txt) that tests/stripe_schema.rs checks paygate's objects against.

Usage: python3 extract.py path/to/spec3.yaml > schemas.json   (needs PyYAML)

Kept: the component schemas of the objects paygate serves, and the envelope of a list
(from GET /v1/customers). Descriptions are dropped; a $ref to a schema not kept becomes {}
(anything), so the file stays small and the check covers the fields paygate itself writes.
"""
import json
import sys

import yaml

KEPT = [
    "payment_intent", "charge", "refund", "customer", "deleted_customer", "payment_method",
    "event", "webhook_endpoint", "balance", "balance_transaction", "payout", "error",
    "api_errors",
]
DROP = {"description", "x-expandableFields", "x-resourceId", "x-stripeBypassValidation",
        "title", "x-expansionResources", "maxLength", "x-stripeResource", "x-stripeOperations"}


def prune(node):
    if isinstance(node, list):
        return [prune(x) for x in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if ref is not None:
        name = ref.rsplit("/", 1)[-1]
        return {"$ref": name} if name in KEPT else {}
    return {k: prune(v) for k, v in node.items() if k not in DROP}


def main():
    spec = yaml.safe_load(open(sys.argv[1]))
    schemas = spec["components"]["schemas"]
    out = {name: prune(schemas[name]) for name in KEPT}
    lst = spec["paths"]["/v1/customers"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    lst = prune(lst)
    lst["properties"]["data"] = {"type": "array", "items": {}}
    out["list"] = lst
    json.dump(out, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
