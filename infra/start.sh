#!/usr/bin/env bash
# `npm start`: set up the host, put `plat` on PATH, then run platd in the foreground.
set -euo pipefail
cd "$(dirname "$0")/.."
export PLAT_DATA_DIR="${PLAT_DATA_DIR:-/var/lib/plat}"
bash infra/setup.sh
if [ -w /usr/local/bin ]; then ln -sf "$PWD/apps/cli/bin/plat.js" /usr/local/bin/plat; fi
exec node apps/api/dist/main.js
