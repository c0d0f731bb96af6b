#!/usr/bin/env bash
# `npm test`: set up what the suite needs, lint, then run every test on Plat's Node.js (infra/node-path.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
PLAT_DATA_DIR="${PLAT_TEST_SETUP_DIR:-/var/lib/plat}" bash infra/setup.sh
. infra/node-path.sh
# Lint and format first: seconds, before minutes of suite.
npm run -s lint
exec npx vitest run "$@"
