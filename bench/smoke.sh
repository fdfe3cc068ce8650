#!/usr/bin/env bash
# A small, fast run of the benchmark harness (a few hundred subscribers, a few
# seconds per server) so that it never rots. Exits non-zero when the harness or
# a server is broken: a lost, duplicated or out-of-order seq, a failed
# connection, a failed POST. Peers that are not installed are skipped.
# Debug build of every target, as `cargo test --workspace --all-targets` just
# built them: the same features, so the dependencies are not compiled a second
# time (which would double the disk the build takes).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --workspace --all-targets --locked
ulimit -n 20000 2>/dev/null || true
out=target/bench/smoke
mkdir -p "$out"
exec target/debug/cagnotte-bench run --mode smoke --cagnotte target/debug/cagnotte \
  --out "$out/BENCHMARKS.md" --svg "$out/p99.svg" --json "$out/results.json"
