#!/usr/bin/env bash
# Installs the Debian packages the console's browser test and the alert-rule
# tests need, when they are missing: `chromium` (driven headless by
# playwright-core; the network is closed to browser downloads) and `prometheus`
# (for promtool). Idempotent: does nothing when both are on PATH.
#
# Usage: scripts/ensure-tools.sh   (exit 0 when both are available afterwards)
set -euo pipefail

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
[[ ${#missing[@]} -eq 0 ]] && exit 0

log() { printf '[ensure-tools] %s\n' "$*" >&2; }
if ! command -v apt-get >/dev/null 2>&1; then
  log "missing ${missing[*]} and apt-get is not available; install them manually"
  exit 1
fi
sudo=()
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo=(sudo -n)
  else
    log "missing ${missing[*]}; run as root or install them: apt-get install ${missing[*]}"
    exit 1
  fi
fi
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mkdir -p "$ROOT/.infra"
LOG="$ROOT/.infra/ensure-tools.log"
log "apt-get install ${missing[*]} (log: .infra/ensure-tools.log)"
"${sudo[@]}" apt-get update >>"$LOG" 2>&1 || { log "apt-get update failed, see $LOG"; exit 1; }
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y --no-install-recommends "${missing[@]}" >>"$LOG" 2>&1 ||
  { log "apt-get install ${missing[*]} failed, see $LOG"; exit 1; }
