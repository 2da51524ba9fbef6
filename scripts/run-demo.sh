#!/usr/bin/env bash
# `make run`: the simulator of the Microsoft APIs and of a Sumo Logic HTTP
# source, and the collector on config/demo.yaml, with a summary every 5 s.
# Ctrl-C stops both. State lives in .demo/: run again and it resumes.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEMO_DIR=${DEMO_DIR:-.demo}
mkdir -p "$DEMO_DIR/sim"

sim_pid=""
col_pid=""
tail_pid=""
stop() {
  trap - INT TERM EXIT
  [ -n "$tail_pid" ] && kill "$tail_pid" 2>/dev/null || true
  [ -n "$col_pid" ] && kill -TERM "$col_pid" 2>/dev/null && wait "$col_pid" 2>/dev/null || true
  [ -n "$sim_pid" ] && kill -TERM "$sim_pid" 2>/dev/null && wait "$sim_pid" 2>/dev/null || true
  echo
  echo "stopped. Collector log: $DEMO_DIR/collector.log. Run 'make run' again to resume from the saved cursor; 'make clean' to start over."
}
trap stop INT TERM EXIT

# Three days of history at 20,000 rows a day, then live mail; a few rows
# arrive late (up to 2 min) or change status (up to 5 min after): the
# settling pass (settle: 6m in config/demo.yaml) catches both.
./bin/msgtrace-sim -dir "$DEMO_DIR/sim" -days 3 -rows-per-day 20000 \
  -max-visibility-delay 2m -max-change-delay 3m -summary 5s &
sim_pid=$!
for _ in $(seq 50); do
  [ -s "$DEMO_DIR/sim/endpoints.json" ] && break
  kill -0 "$sim_pid" 2>/dev/null || { echo "the simulator did not start (ports 18443, 18081 and 18080 must be free)"; exit 1; }
  sleep 0.2
done

echo "collector: bin/otelcol-messagetrace --config config/demo.yaml (log: $DEMO_DIR/collector.log)"
./bin/otelcol-messagetrace --config config/demo.yaml >"$DEMO_DIR/collector.log" 2>&1 &
col_pid=$!
# Show the receiver's own progress lines next to the simulator's summary.
tail -n +1 -F "$DEMO_DIR/collector.log" 2>/dev/null | grep --line-buffered -E 'exchangemessagetracereceiver|error' &
tail_pid=$!
wait "$col_pid"
