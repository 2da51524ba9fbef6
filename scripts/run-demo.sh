#!/usr/bin/env bash
# `make run`: the simulator of the Microsoft APIs and of a Sumo Logic HTTP
# source, and the collector on config/demo.yaml, with a summary every 5 s.
# Ctrl-C stops both. State lives in .demo/: run again and it resumes.
#
# `make run DEMO_TENANTS=20`: a managed provider instead: the simulator
# plays 20 customer tenants (sizes spread log-normally between 100 and
# 20,000 rows a day) and writes their tenants file; the collector runs
# config/demo-tenants.yaml. Tenant 3 never consented to the app, tenant 5
# lacks Microsoft's message trace service principal, tenant 7 is in a 429
# storm, tenant 9 has its own app registration. State lives in
# .demo-tenants/.
set -euo pipefail
cd "$(dirname "$0")/.."
DEMO_TENANTS=${DEMO_TENANTS:-0}
if [ "$DEMO_TENANTS" -gt 0 ]; then
  export DEMO_DIR=${DEMO_DIR:-.demo-tenants}
  config=config/demo-tenants.yaml
  # Each switch names a tenant only if there are that many.
  sim_args=(-days 1 -tenants "$DEMO_TENANTS" -tenant-rows-max 20000)
  for sw in "no-consent 3" "no-service-principal 5" "throttle-storm 7" "own-app 9"; do
    set -- $sw
    if [ "$2" -le "$DEMO_TENANTS" ]; then sim_args+=("-$1" "$2"); fi
  done
else
  export DEMO_DIR=${DEMO_DIR:-.demo}
  config=config/demo.yaml
  # Three days of history at 20,000 rows a day, then live mail.
  sim_args=(-days 3 -rows-per-day 20000)
fi
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
  echo "stopped. Collector log: $DEMO_DIR/collector.log. Run the same command again to resume from the saved cursor; remove $DEMO_DIR to start over."
}
trap stop INT TERM EXIT

# A few rows arrive late (up to 2 min) or change status (up to 5 min
# after): the settling pass (settle: 6m in the demo configs) catches both.
export SIM_HTTPS_PORT=${SIM_HTTPS_PORT:-18443} SUMO_SINK_PORT=${SUMO_SINK_PORT:-18080}
./bin/msgtrace-sim -dir "$DEMO_DIR/sim" "${sim_args[@]}" -https-addr "127.0.0.1:$SIM_HTTPS_PORT" \
  -http-addr "127.0.0.1:${SIM_HTTP_PORT:-18081}" -sumo-addr "127.0.0.1:$SUMO_SINK_PORT" \
  -max-visibility-delay 2m -max-change-delay 3m -summary 5s &
sim_pid=$!
for _ in $(seq 50); do
  [ -s "$DEMO_DIR/sim/endpoints.json" ] && break
  kill -0 "$sim_pid" 2>/dev/null || { echo "the simulator did not start (ports 18443, 18081 and 18080 must be free)"; exit 1; }
  sleep 0.2
done

echo "collector: bin/otelcol-messagetrace --config $config (log: $DEMO_DIR/collector.log)"
./bin/otelcol-messagetrace --config "$config" >"$DEMO_DIR/collector.log" 2>&1 &
col_pid=$!
# Show the receiver's own progress lines next to the simulator's summary.
tail -n +1 -F "$DEMO_DIR/collector.log" 2>/dev/null | grep --line-buffered -E 'exchangemessagetracereceiver|error' &
tail_pid=$!
wait "$col_pid"
