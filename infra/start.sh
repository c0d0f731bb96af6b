#!/usr/bin/env bash
# `npm start`: set up the host, then run platd in the foreground.
set -euo pipefail
cd "$(dirname "$0")/.."
export PLAT_DATA_DIR="${PLAT_DATA_DIR:-/var/lib/plat}"
bash infra/setup.sh
exec node apps/api/dist/main.js
