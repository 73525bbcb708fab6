#!/usr/bin/env bash
# The whole test suite, as `npm test` runs it (and .ci/run calls): static checks,
# then the real test infrastructure, then unit and integration tests.
#
# If the infrastructure cannot be set up (no apt, no compiler...), the integration
# tests still run and report themselves skipped with the reason; they never pass
# silently. Services this script started are stopped by their pids on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

step "node $(node --version) (from $(command -v node))"
step "typecheck"; npx tsc -p tsconfig.json --noEmit && npx tsc -p console/tsconfig.json --noEmit
step "lint (type-aware)"; npx eslint .
step "import cycles"; npx madge --circular --extensions ts --ts-config tsconfig.json src

started=0
cleanup() { if [ "$started" = 1 ]; then bash scripts/test-infra.sh stop || true; fi; }
trap cleanup EXIT

step "test infrastructure (Redis, Redis Cluster, Apache Kafka)"
if [ -n "${CLVSTREAM_SKIP_INFRA:-}" ]; then
  echo "CLVSTREAM_SKIP_INFRA is set: integration tests will report themselves skipped"
elif bash scripts/test-infra.sh start; then
  started=1
else
  # The reason is in .infra/start-error; the integration tests put it in their skip message.
  echo "WARNING: scripts/test-infra.sh start failed; integration tests will be reported as skipped" >&2
fi

step "unit and integration tests"
mkdir -p .infra
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json=.infra/test-results.json "$@" || status=$?
node scripts/test-summary.mjs .infra/test-results.json || true
exit "$status"
