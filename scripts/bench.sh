#!/usr/bin/env bash
# One measured `paygate bench` run against a fresh server and data directory.
#   scripts/bench.sh [sqlite|postgres] [bench options...]
# e.g. scripts/bench.sh sqlite --duration 60s --concurrency 64
#      scripts/bench.sh postgres --duration 60s --concurrency 128
#      scripts/bench.sh sqlite --duration 60s --rate 1500
# Prints the load average before and after and the bench's JSON summary (last line).
# BIN defaults to target/release/paygate (build it first: cargo build --release -p paygate);
# SERVER_BIN (default BIN) runs the server, so two builds can be compared with one load generator.
set -euo pipefail
store=${1:-sqlite}; shift || true
BIN=${BIN:-$(dirname "$0")/../target/release/paygate}
SERVER_BIN=${SERVER_BIN:-$BIN}
PORT=${PORT:-18081}
DIR=$(mktemp -d /tmp/paygate-bench.XXXXXX)
args=(--data-dir "$DIR")
schema=""
if [ "$store" = postgres ]; then
  schema="bench_$(date +%s)_$$"
  args+=(--database-url "${PAYGATE_BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
         --database-schema "$schema")
fi
SK=$("$SERVER_BIN" merchant create --name bench "${args[@]}" --json | sed -n 's/.*"secret_key":"\([^"]*\)".*/\1/p')
PAYGATE_LOG=${PAYGATE_LOG:-warn} "$SERVER_BIN" serve "${args[@]}" --listen 127.0.0.1:$PORT &
SPID=$!
cleanup() {
  kill "$SPID" 2>/dev/null || true; wait "$SPID" 2>/dev/null || true
  if [ -n "$schema" ]; then psql -q "${PAYGATE_BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}" -c "DROP SCHEMA $schema CASCADE" >/dev/null 2>&1 || true; fi
  rm -rf "$DIR"
}
trap cleanup EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
echo "loadavg before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
"$BIN" bench --url "http://127.0.0.1:$PORT" --secret-key "$SK" --server-pid "$SPID" "$@"
echo "loadavg after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
