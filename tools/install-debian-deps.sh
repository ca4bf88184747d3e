#!/usr/bin/env bash
# Installs the Debian packages the test suite talks to (tshark, open-plc-utils, tcpdump, iproute2,
# chromium for the headless check of the simulator's report.html).
# Idempotent; skips quietly when everything is present, explains when it cannot install.
set -u
need=()
command -v tshark  >/dev/null 2>&1 || need+=(tshark)
command -v tcpdump >/dev/null 2>&1 || need+=(tcpdump)
command -v hpavkey >/dev/null 2>&1 || need+=(plc-utils)
command -v int6k   >/dev/null 2>&1 || need+=(plc-utils-extra)
command -v ip      >/dev/null 2>&1 || need+=(iproute2)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "install-debian-deps: not root; tests needing ${need[*]} will be skipped" >&2
  exit 0
fi
echo "install-debian-deps: installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null 2>&1 || true
apt-get install -y -qq "${need[@]}" >/dev/null 2>&1 || echo "install-debian-deps: apt-get failed for ${need[*]}" >&2
exit 0
