#!/usr/bin/env bash
# Set up what is missing, build, then run the whole test suite; ends with one line "N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh --test || { echo "setup failed"; exit 1; }

out=$(mktemp)
trap 'rm -f "$out"' EXIT
bun run --silent typecheck 2>&1 | tee -a "$out"
tc=${PIPESTATUS[0]}
bun test --timeout 60000 "$@" 2>&1 | tee -a "$out"
rc=${PIPESTATUS[0]}

passed=$(grep -Eo '^ *[0-9]+ pass$' "$out" | tail -1 | grep -Eo '[0-9]+' || echo 0)
failed=$(grep -Eo '^ *[0-9]+ fail$' "$out" | tail -1 | grep -Eo '[0-9]+' || echo 0)
if [ "$tc" -ne 0 ]; then echo "typecheck failed"; failed=$((failed + 1)); fi
echo "${passed} passed, ${failed} failed"
if [ "$rc" -ne 0 ] || [ "$tc" -ne 0 ] || [ "$failed" -ne 0 ] || [ "$passed" -eq 0 ]; then exit 1; fi
