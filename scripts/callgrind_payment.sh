#!/usr/bin/env bash
# Instructions per payment of one server build under valgrind --tool=callgrind: a count that
# does not depend on what else the machine runs (docs/BENCHMARKS.md, session 9).
#   scripts/callgrind_payment.sh SERVER_BIN OUT_PREFIX [rate] [duration]
# BIN (the load generator) defaults to target/release/paygate. Writes OUT_PREFIX.<pid>.1, the
# profile of the measured window only (zeroed after a 10 s warm-up); divide its total by the
# bench JSON's "payments".
set -euo pipefail
SERVER_BIN=$1; OUT=$2; RATE=${3:-8}; DUR=${4:-40s}
BIN=${BIN:-$(dirname "$0")/../target/release/paygate}
PORT=${PORT:-18191}
DIR=$(mktemp -d /tmp/paygate-cg.XXXXXX)
SK=$("$SERVER_BIN" merchant create --name bench --data-dir "$DIR" --json | sed -n 's/.*"secret_key":"\([^"]*\)".*/\1/p')
PAYGATE_LOG=warn valgrind --tool=callgrind --callgrind-out-file="$OUT.%p" "$SERVER_BIN" serve --data-dir "$DIR" --listen 127.0.0.1:$PORT 2>"$OUT.valgrind.log" &
VPID=$!
trap 'kill $VPID 2>/dev/null; wait $VPID 2>/dev/null; rm -rf "$DIR"' EXIT
for _ in $(seq 600); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.5; done
# warm up: connections, caches, first-time paths
"$BIN" bench --url "http://127.0.0.1:$PORT" --secret-key "$SK" --rate "$RATE" --duration 10s --warmup 0s --bare-duration 0s --request-timeout-ms 60000 --json > "$OUT.warm.json"
callgrind_control -z $VPID >/dev/null
"$BIN" bench --url "http://127.0.0.1:$PORT" --secret-key "$SK" --rate "$RATE" --duration "$DUR" --warmup 0s --bare-duration 0s --request-timeout-ms 60000 --json > "$OUT.json"
callgrind_control -d $VPID >/dev/null
sleep 2
tail -1 "$OUT.json"
