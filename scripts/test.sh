#!/usr/bin/env bash
# The whole test suite. On a fresh machine it first installs what the tests need
# (Debian's chromium and chromium-driver for the browser tests, nginx, caddy,
# apache2 and systemd-analyze for the deployment tests, when run as root),
# then runs every test of the workspace and the benchmark's smoke run.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-test-deps.sh

cargo test --workspace --all-targets --locked

if [ -x bench/smoke.sh ]; then
  bash bench/smoke.sh
fi
