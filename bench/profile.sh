#!/usr/bin/env bash
# Profiles Cagnotte under load with `perf record` on the server process.
#
#   bench/profile.sh [SUBS=4000] [RATE=10] [SECONDS=15]
#     W2 fan-out: the harness drives SUBS subscribers of one live at RATE
#     donations/s. Writes target/bench/perf-top.txt (perf report) and a flame
#     graph, docs/bench-flame.svg.
#
#   bench/profile.sh --w5 [CLIENTS=32]
#     W5 durable ingest: CLIENTS clients post donations back to back, no
#     subscribers. Writes target/bench/perf-w5-top.txt, whose head splits the
#     server's samples by thread (HTTP workers, ledger writer, WAL checkpoint)
#     and by user/kernel, and the flame graph target/bench/flame-w5.svg.
#
# CAGNOTTE_BIN=/path/to/cagnotte profiles that binary instead of this tree's.
set -euo pipefail
cd "$(dirname "$0")/.."
w5=
if [ "${1:-}" = --w5 ]; then
  w5=1
  shift
fi
out=target/bench
mkdir -p "$out" docs
if [ -n "${CAGNOTTE_BIN:-}" ]; then
  cargo build --release -p cagnotte-bench
else
  cargo build --release -p cagnotte -p cagnotte-bench
fi
bin=${CAGNOTTE_BIN:-target/release/cagnotte}
ulimit -n 20000 2>/dev/null || true

if [ -n "$w5" ]; then
  clients=${1:-32}
  # 10 s of closed-loop ingest, without subscribers.
  target/release/cagnotte-bench run --mode full --servers cagnotte --workloads w5 \
    --w5-clients "$clients" --w5-rounds 1 --w5-subs 0 --cagnotte "$bin" \
    --out "$out/profile.md" --svg "$out/profile.svg" --json "$out/profile.json" &
  wait_first=2
  record=6
  top=$out/perf-w5-top.txt
  flame=$out/flame-w5.svg
else
  subs=${1:-4000}
  rate=${2:-10}
  secs=${3:-15}
  target/release/cagnotte-bench run --mode quick --servers cagnotte --workloads w2 \
    --sizes "$subs" --rates "$rate" --secs "$secs" --repeat 1 --cagnotte "$bin" \
    --out "$out/profile.md" --svg "$out/profile.svg" --json "$out/profile.json" &
  # Let the subscribers connect, then sample while donations flow.
  wait_first=4
  record=$((secs - 6))
  top=$out/perf-top.txt
  flame=docs/bench-flame.svg
fi
bench=$!
pid=
for _ in $(seq 200); do
  pid=$(pgrep -n -f -- "--listen 127.0.0.1:18091" || true)
  [ -n "$pid" ] && break
  sleep 0.1
done
[ -n "$pid" ] || { echo "server did not start" >&2; exit 1; }
sleep "$wait_first"
perf record -F 499 --call-graph dwarf,16384 -p "$pid" -o "$out/perf.data" -- sleep "$record" 2>/dev/null
wait "$bench"
{
  if [ -n "$w5" ]; then
    echo "# W5, $clients clients: the server's samples by thread, then by thread and user/kernel"
    perf report -i "$out/perf.data" --stdio --no-children --sort comm -g none 2>/dev/null | grep '%'
    perf report -i "$out/perf.data" --stdio --no-children --sort comm,dso -g none 2>/dev/null | grep '%'
    echo
  fi
  perf report -i "$out/perf.data" --stdio --no-children --percent-limit 0.7 2>/dev/null
} > "$top"
perf script -i "$out/perf.data" 2>/dev/null > "$out/perf.script"
target/release/cagnotte-bench flame "$out/perf.script" "$flame"
grep "^| W5" "$out/profile.md" 2>/dev/null || true
echo "wrote $top and $flame (perf slows the server: the rates of this run are not the benchmark's)"
