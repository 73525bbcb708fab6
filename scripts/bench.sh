#!/usr/bin/env bash
# `npm run bench -- [options]`: brings the compiled service and benchmarks up to
# date, then runs the service benchmark (benchmarks/service/main.ts) with the
# options. Only what changed is rebuilt — `tsc --incremental` for the service
# (dist/) and the benchmarks (dist-bench/), the Lua scripts copied, the web
# console bundled only when its sources are newer than the bundle (the bench
# never serves it) — so a run after a small edit does not pay a full build;
# `npm run build` still makes a clean one. The bench prints the whole command's
# time, build included, at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

started_ms=$(date +%s%3N)
log() { printf '[bench %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

# True when the stamp file is missing or any of the paths holds a newer file.
stale() {
  local stamp=$1
  shift
  [[ ! -f $stamp ]] || [[ -n $(find "$@" -newer "$stamp" -print -quit) ]]
}

# Even an incremental tsc reads and checks the whole program (seconds, or tens of
# seconds on a busy host): skip it when no input is newer than its last build.
if stale dist/.tsbuildinfo src tsconfig.json tsconfig.build.json package-lock.json patches; then
  npx tsc -p tsconfig.build.json --incremental --tsBuildInfoFile dist/.tsbuildinfo
  touch dist/.tsbuildinfo
fi
mkdir -p dist/state && rm -rf dist/state/lua && cp -r src/state/lua dist/state/
if stale dist/console/index.html console src/ops/http-schemas.ts src/app/report.ts; then
  npm run --silent build:console
fi
if stale dist-bench/.tsbuildinfo src benchmarks test/support tsconfig.json tsconfig.bench.json package-lock.json patches; then
  npx tsc -p tsconfig.bench.json --incremental --tsBuildInfoFile dist-bench/.tsbuildinfo
  touch dist-bench/.tsbuildinfo
fi
log "build up to date in $(( ($(date +%s%3N) - started_ms) ))ms"

BENCH_COMMAND_STARTED_MS=$started_ms exec node dist-bench/benchmarks/service/main.js "$@"
