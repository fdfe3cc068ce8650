#!/usr/bin/env bash
# The long crash soak: the real binary killed with SIGKILL at varying moments
# under 8 concurrent donors, CYCLES times (default 50); after each restart every
# acknowledged donation must be stored exactly once, and at the end retrying every
# unacknowledged request makes stored = sent.
set -euo pipefail
cd "$(dirname "$0")/.."
CAGNOTTE_CRASH_CYCLES="${1:-50}" cargo test -p cagnotte --test api --locked -- crash::kill_9_under_load --nocapture
