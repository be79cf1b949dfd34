#!/usr/bin/env bash
# Installs everything openclaw needs on a fresh Debian/Ubuntu machine (Node 24 when the host's is
# older than 22.13, pnpm, Debian packages when root), then installs dependencies and builds.
# Afterwards `bin/openclaw` works from this checkout.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PATH="$(bash scripts/bootstrap.sh --print-path)"
export PATH
pnpm install --frozen-lockfile --reporter=silent
pnpm run --silent build
echo "setup: openclaw is ready — run $(pwd)/bin/openclaw" >&2
