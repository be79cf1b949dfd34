#!/usr/bin/env bash
# The whole test suite, from a fresh clone: provision (scripts/setup.sh), then lint, type-check,
# the vitest suite (unit, property, adversarial, integration and end-to-end tests) and every
# benchmark in quick mode, so none of them rots. Benchmarks print figures; they never fail the run
# on a timing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
PATH="$(bash scripts/bootstrap.sh --print-path)"
export PATH
echo "== lint" >&2
pnpm run --silent lint
echo "== typecheck" >&2
pnpm run --silent typecheck
echo "== tests" >&2
pnpm exec vitest run
echo "== benchmarks (quick)" >&2
BENCH_QUICK=1 pnpm run --silent bench
