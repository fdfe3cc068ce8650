#!/usr/bin/env bash
# The benchmark, in one command: builds in release mode, installs the peers if
# they are missing (nats-server from Debian, the Node.js `ws` peer with npm ci),
# runs the workloads W1..W7 on Cagnotte and its peers, and writes BENCHMARKS.md,
# docs/bench-p99.svg and target/bench/results.json.
#
#   bench/run.sh [--quick | --full] [cagnotte-bench run options, e.g. --workloads w1,w2 --sizes 1000,4000]
#
# --full takes about an hour on 2 cores; --quick (default) runs fewer sizes and shorter
# phases. BENCHMARKS.md says how long its run took.
# CAGNOTTE_BIN=/path/to/cagnotte benchmarks that server binary instead of building this tree's.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=quick
args=()
for a in "$@"; do
  case "$a" in
    --quick) mode=quick ;;
    --full) mode=full ;;
    --smoke) mode=smoke ;;
    *) args+=("$a") ;;
  esac
done

if [ -n "${CAGNOTTE_BIN:-}" ]; then
  cargo build --release -p cagnotte-bench
  args+=(--cagnotte "$CAGNOTTE_BIN")
else
  cargo build --release -p cagnotte -p cagnotte-bench
fi

if [ "$(id -u)" = 0 ]; then
  missing=()
  command -v nats-server >/dev/null || missing+=(nats-server)
  command -v node >/dev/null || missing+=(nodejs)
  command -v npm >/dev/null || missing+=(npm)
  command -v perf >/dev/null || missing+=(linux-perf)
  if [ ${#missing[@]} -gt 0 ]; then
    apt-get update
    apt-get install -y "${missing[@]}"
  fi
fi
if command -v npm >/dev/null && [ ! -d bench/peers/node_modules/ws ]; then
  (cd bench/peers && npm ci --no-audit --no-fund)
fi

# Each subscriber process holds up to 4 000 sockets.
ulimit -n 20000 2>/dev/null || true

# Start-up replay of a large log (not part of the smoke run): the example writes
# REPLAY_EVENTS donation events into a fresh log (and times the replay path in
# its own process, stage by stage), then a second log of the same donations each
# with an idempotency key; the harness starts the server on each log, cold, three
# times, and times each start until /healthz answers.
replay_args=()
replay_dir=
if [ "$mode" != smoke ]; then
  events="${REPLAY_EVENTS:-1000000}"
  cargo build --release --example replay --example ingest
  replay_dir=$(mktemp -d)
  trap 'rm -rf "$replay_dir"' EXIT
  target/release/examples/replay "$events" "$replay_dir/plain"
  # Once more in a fresh process, as the server does, stage by stage.
  target/release/examples/replay "$events" "$replay_dir/plain" | tee target/bench-replay-stages.txt
  # The same donations, each with an idempotency key (as from integrations).
  target/release/examples/replay "$events" "$replay_dir/keyed" --keyed
  replay_args=(--replay-log "$events:$replay_dir/plain" --replay-keyed-log "$events:$replay_dir/keyed")
  # The write path alone, without HTTP or a load generator: tasks in the same
  # process submit donations to the ledger writer, 32 then 1 024 at a time.
  {
    target/release/examples/ingest 200000 32
    target/release/examples/ingest 200000 1024
  } | tee target/bench-ingest.txt
fi

BENCH_COMMAND="${CAGNOTTE_BIN:+CAGNOTTE_BIN=$CAGNOTTE_BIN }bench/run.sh --$mode${args[*]:+ }${args[*]:-}" \
  target/release/cagnotte-bench run --mode "$mode" "${replay_args[@]}" "${args[@]}"

if [ -n "$replay_dir" ]; then
  {
    echo
    echo "Stages of the same replay in a fresh process (\`examples/replay.rs\` on the kept log, the"
    echo "server's own code: two threads decode stripes of the log while a third folds them, then the read model):"
    echo
    echo '```'
    tail -n 1 target/bench-replay-stages.txt
    echo '```'
    echo
    echo "The durable write path alone (\`examples/ingest.rs\`, run before the workloads: tasks in one process submit"
    echo "donations straight to the ledger writer, with no HTTP and no load generator; each batch is one transaction"
    echo "and one fsync; CPU per donation is the whole process's, then the writer thread's alone):"
    echo
    echo '```'
    cat target/bench-ingest.txt
    echo '```'
  } >> BENCHMARKS.md
fi
