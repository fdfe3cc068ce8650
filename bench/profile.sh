#!/usr/bin/env bash
# Profiles Cagnotte under the W2 fan-out workload: `perf record` on the server
# process while the harness drives SUBS subscribers of one live at RATE
# donations/s. Writes target/bench/perf-top.txt (perf report) and a flame graph,
# docs/bench-flame.svg.
#
#   bench/profile.sh [SUBS=4000] [RATE=10] [SECONDS=15]
#
# CAGNOTTE_BIN=/path/to/cagnotte profiles that binary instead of this tree's.
set -euo pipefail
cd "$(dirname "$0")/.."
subs=${1:-4000}
rate=${2:-10}
secs=${3:-15}
out=target/bench
mkdir -p "$out" docs
if [ -n "${CAGNOTTE_BIN:-}" ]; then
  cargo build --release -p cagnotte-bench
else
  cargo build --release -p cagnotte -p cagnotte-bench
fi
bin=${CAGNOTTE_BIN:-target/release/cagnotte}
ulimit -n 20000 2>/dev/null || true

target/release/cagnotte-bench run --mode quick --servers cagnotte --workloads w2 \
  --sizes "$subs" --rates "$rate" --secs "$secs" --repeat 1 --cagnotte "$bin" \
  --out "$out/profile.md" --svg "$out/profile.svg" --json "$out/profile.json" &
bench=$!
pid=
for _ in $(seq 200); do
  pid=$(pgrep -n -f -- "--listen 127.0.0.1:18091" || true)
  [ -n "$pid" ] && break
  sleep 0.1
done
[ -n "$pid" ] || { echo "server did not start" >&2; exit 1; }
# Let the subscribers connect, then sample while donations flow.
sleep 4
perf record -F 499 --call-graph dwarf,16384 -p "$pid" -o "$out/perf.data" -- sleep $((secs - 6)) 2>/dev/null
wait "$bench"
perf report -i "$out/perf.data" --stdio --no-children --percent-limit 0.7 2>/dev/null > "$out/perf-top.txt"
perf script -i "$out/perf.data" 2>/dev/null > "$out/perf.script"
target/release/cagnotte-bench flame "$out/perf.script" docs/bench-flame.svg
echo "wrote $out/perf-top.txt and docs/bench-flame.svg"
