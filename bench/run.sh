#!/usr/bin/env bash
# Every benchmark of bench/README.md, end to end: the in-process pipeline
# benchmarks (go test -bench, benchstat, a CPU profile) and the whole-binary
# harness (collector vs filelog, memory, quota pacing, collector profiles).
# Raw outputs go to bench/out/ (git-ignored); the summary is printed last.
#
#   make bench                          # what `make bench` runs (after make build)
#   BENCH_RUNS=1 BENCH_SECTIONS=throughput bench/run.sh   # a quicker look
#
# Knobs: BENCH_RUNS (harness runs per scenario, default 3), BENCH_COUNT
# (go test -count, default 6), BENCH_SECTIONS (harness sections, default
# throughput,memory,pacing,profile), BENCH_MEM_DAYS (default 1,10,30),
# BENCH_MEM_RUNS (default 3), BENCH_INPROC=0 skips the in-process part,
# BENCH_OTELCOL (the collector to measure, default bin/otelcol-messagetrace),
# BENCH_TENANTS_ARGS (flags of the tenants section, e.g. "-tenants-big 2000";
# harness -help lists them). The tenants section runs in real time (about
# 35 minutes): `make bench-tenants` runs it alone.
set -euo pipefail
cd "$(dirname "$0")/.."
export GOPROXY="${GOPROXY:-https://proxy.golang.org}"
export GOFLAGS="${GOFLAGS:--buildvcs=false}"

OUT=bench/out
RUNS="${BENCH_RUNS:-3}"
COUNT="${BENCH_COUNT:-6}"
SECTIONS="${BENCH_SECTIONS:-throughput,memory,pacing,profile,tenants}"
MEM_DAYS="${BENCH_MEM_DAYS:-1,10,30}"
MEM_RUNS="${BENCH_MEM_RUNS:-3}"
RECV=./receiver/exchangemessagetracereceiver/internal
mkdir -p "$OUT/bin"

# Private copies of the binaries: a long benchmark must not keep bin/ busy
# for other builds.
OTELCOL="${BENCH_OTELCOL:-bin/otelcol-messagetrace}"
[ -x "$OTELCOL" ] || make build
cp "$OTELCOL" "$OUT/bin/otelcol-messagetrace"
go build -o "$OUT/bin/harness" ./bench/harness
benchstat() { go tool -modfile=bench/tools/go.mod benchstat "$@"; }

{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "host: $(hostname), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/ {print $2}') GiB"
  echo "go: $(go version)"
  echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
} | tee "$OUT/machine.txt"

if [ "${BENCH_INPROC:-1}" != 0 ]; then
  echo "== in-process: decode + dedup + map of Graph and legacy pages (count $COUNT)"
  for pkg in graph reporting; do
    go test -run '^$' -bench 'Pipeline' -benchmem -count "$COUNT" "$RECV/$pkg/" | tee "$OUT/inproc-$pkg.txt"
    benchstat "$OUT/inproc-$pkg.txt" | tee "$OUT/inproc-$pkg.benchstat.txt"
  done
  echo "== in-process CPU profile: Graph, 5000-row pages, whole pipeline"
  for body in json map; do
    go test -run '^$' -bench "Pipeline/rows=5000/stage=all/body=$body" -benchtime 200x \
      -cpuprofile "$OUT/inproc-graph-$body.cpu.pprof" -o "$OUT/bin/graph.test" "$RECV/graph/" > /dev/null
    go tool pprof -top -nodecount=30 "$OUT/bin/graph.test" "$OUT/inproc-graph-$body.cpu.pprof" \
      > "$OUT/inproc-graph-$body.top.txt" 2>/dev/null
    head -20 "$OUT/inproc-graph-$body.top.txt"
  done
fi

echo "== whole binary (runs $RUNS, sections $SECTIONS)"
"$OUT/bin/harness" -bin "$OUT/bin/otelcol-messagetrace" -out "$OUT" -runs "$RUNS" \
  -sections "$SECTIONS" -mem-days "$MEM_DAYS" -mem-runs "$MEM_RUNS" ${BENCH_TENANTS_ARGS:-} 2> >(tee "$OUT/harness.log" >&2)

if [ "${BENCH_INPROC:-1}" != 0 ]; then
  echo
  echo "== in-process summary (benchstat medians; see $OUT/inproc-*.benchstat.txt)"
  cat "$OUT/inproc-graph.benchstat.txt" "$OUT/inproc-reporting.benchstat.txt" | grep -E 'rows/cpu-s|allocs/row|stage=(all|encoding_json_floor)' | head -60
fi
