#!/usr/bin/env bash
# Installs the system packages the tests use, if missing: Debian's chromium and
# chromium-driver (browser tests of the overlays and pages), nginx-core, caddy
# and apache2-bin (the reverse proxy tests) and systemd's systemd-analyze (the
# documented unit's check). Needs root for apt-get.
set -euo pipefail

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null 2>&1 || need+=(nginx-core)
command -v caddy >/dev/null 2>&1 || need+=(caddy)
[ -x /usr/sbin/apache2 ] || need+=(apache2-bin)
command -v systemd-analyze >/dev/null 2>&1 || need+=(systemd)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "missing ${need[*]}: run as root, or install them with apt-get" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # The tests start nginx and caddy themselves: the packages must not start them as services.
  policy=/usr/sbin/policy-rc.d
  own_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy"
    chmod +x "$policy"
    own_policy=1
  fi
  status=0
  apt-get install -y -qq "${need[@]}" >/dev/null || status=$?
  if [ "$own_policy" = 1 ]; then rm -f "$policy"; fi
  exit "$status"
fi
