#!/usr/bin/env bash
# The performance study in one command: perf/test_perf.sh <local|pull|push|all> [dispatcher_url]
#
# Without a dispatcher URL (or with "0", as the original study wrote for local mode) it starts everything it
# needs from dist/faas (managed redis-server, API, dispatcher, workers, on free ports), fresh for each worker
# layout, and stops it all at the end, also on Ctrl-C or failure.
# With a URL (pull/push), it starts only worker processes (`faas worker <mode> N <url>`) against that running
# dispatcher, and drives the API at $FAAS_API_URL (default http://127.0.0.1:8000); workers present FAAS_SECRET
# if the dispatcher wants one.
#
# Results: perf/results/<date>-<mode>.csv (raw, one row per repetition), perf/perf.txt (summary),
# perf/graphs/*.svg + *.png, and the generated tables of docs/performance.md.
# Extra options for the runner (see `bun perf/study/run-study.ts --help`) go in $PERF_ARGS, e.g. PERF_ARGS="--scale 0.2".
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { echo "usage: perf/test_perf.sh <local|pull|push|all> [dispatcher_url]" >&2; exit 2; }
[ $# -ge 1 ] && [ $# -le 2 ] || usage
mode=$1
url=${2:-}
[ "$url" = "0" ] && url=""
case "$mode" in
  local|pull|push) modes=("$mode") ;;
  all) modes=(local pull push); [ -z "$url" ] || { echo "'all' starts its own stacks: give no dispatcher URL" >&2; exit 2; } ;;
  *) usage ;;
esac
if [ "$mode" = "local" ] && [ -n "$url" ]; then
  echo "local mode has no dispatcher endpoint: run 'perf/test_perf.sh local' (it starts its own stack)" >&2; exit 2
fi

command -v bun >/dev/null || { echo "bun is not on PATH" >&2; exit 1; }
if [ -z "$url" ]; then
  command -v redis-server >/dev/null || { echo "redis-server is not on PATH" >&2; exit 1; }
  [ -x dist/faas ] || bun run build
fi

# The runner runs as a background job in its own process group. On exit, Ctrl-C or TERM the trap asks it to stop
# (it stops its stacks gracefully: faas up stops its API, dispatcher, workers and redis-server), then, if it is
# still there after 30 s, kills its whole group (faas up and its redis-server are in it; faas's own role children
# stop by themselves when their parent is gone). Only the runner gets the TERM at first: a second signal would
# make faas up skip its graceful stop.
set -m
runner=""
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -n "$runner" ] && kill -0 "$runner" 2>/dev/null; then
    kill -TERM "$runner" 2>/dev/null || true
    for _ in $(seq 1 150); do
      # The runner is our child: once it has exited, `wait` reaps it and kill -0 then fails.
      kill -0 "$runner" 2>/dev/null || break
      if ! ps -o stat= -p "$runner" 2>/dev/null | grep -qv Z; then break; fi
      sleep 0.2
    done
    kill -KILL -- "-$runner" 2>/dev/null || true
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

started=$(date +%s)
date_tag=$(date -u +%Y-%m-%d)
csvs=()
status=0
for m in "${modes[@]}"; do
  echo "== $m ==" >&2
  out="perf/results/${date_tag}-${m}.csv"
  args=(--mode "$m" --out "$out")
  if [ -n "$url" ]; then args+=(--dispatcher "$url" --api "${FAAS_API_URL:-http://127.0.0.1:8000}"); fi
  # shellcheck disable=SC2086
  bun perf/study/run-study.ts "${args[@]}" ${PERF_ARGS:-} &
  runner=$!
  wait "$runner" || status=$?
  runner=""
  csvs+=("$out")
done

bun perf/study/write-report.ts >&2 || status=1
bun perf/study/render-graphs.ts >&2 || status=1
echo "study finished in $(( $(date +%s) - started )) s; summary: perf/perf.txt, graphs: perf/graphs/" >&2
exit "$status"
