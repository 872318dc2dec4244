#!/usr/bin/env bash
# The first minute as a newcomer lives it, measured: `npm ci`, then the first `npm start` until
# /readyz answers, then the README's first curl (a synchronous run of a shipped chain). Prints the
# three times. CI runs this as its first step on a fresh clone; it leaves node_modules installed.
set -euo pipefail
cd "$(dirname "$0")/.."
# Ports of their own, so a service already running on the defaults is left alone.
export PORT=${FIRST_MINUTE_PORT:-3370} TEMPORAL_PORT=${FIRST_MINUTE_TEMPORAL_PORT:-7370} TEMPORAL_UI_PORT=${FIRST_MINUTE_UI_PORT:-8370}
export CHAINPORT_DATA_DIR=$(mktemp -d)
api=http://127.0.0.1:$PORT
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

started=$(now)
npm ci --no-audit --no-fund
npm_ci_s=$(since "$started")

log=$CHAINPORT_DATA_DIR/start.log
started=$(now)
set -m  # npm start gets a process group of its own, so one signal stops all of it
npm start >"$log" 2>&1 &
pid=$!
set +m
stop() { kill -INT -- "-$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }
trap stop EXIT
until curl -fs "$api/readyz" >/dev/null 2>&1; do
  if ! kill -0 "$pid" 2>/dev/null || [ "$(since "$started" | cut -d. -f1)" -ge 600 ]; then
    echo "npm start did not become ready; its output:" >&2
    cat "$log" >&2
    exit 1
  fi
  sleep 0.2
done
ready_s=$(since "$started")
cat "$log"

started=$(now)
KEY=$(cat "$CHAINPORT_DATA_DIR/dev-api-key")
curl -fsS -X POST "$api/api/v1/chains/writing-pipeline" \
  -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
  -d '{"input":{"topic":"durable agents"}}' | head -c 300
echo
first_run_s=$(since "$started")
echo "first minute: npm ci ${npm_ci_s} s; npm start to /readyz ${ready_s} s; first run ${first_run_s} s"
