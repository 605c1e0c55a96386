#!/usr/bin/env bash
# Runs every fuzz target (or the ones named) for a given time each, in a release build.
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET…]     e.g. scripts/fuzz.sh 60 iso8583_ascii
# Crashing inputs land in target/fuzz-crashes/<target>/<sha256>; the exit status is non-zero
# when any target crashed. Targets, corpus and method: docs/FUZZING.md.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-30}"
shift || true
seed="${FUZZ_SEED:-$(date +%s)}"
cargo build --release -q -p paygate-fuzz
bin=target/release/paygate-fuzz
echo "seed $seed, ${seconds}s per target ($(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ))"
if [ "$#" -eq 0 ]; then
  "$bin" run all --seconds "$seconds" --seed "$seed"
else
  status=0
  for t in "$@"; do "$bin" run "$t" --seconds "$seconds" --seed "$seed" || status=1; done
  exit "$status"
fi
