#!/usr/bin/env bash
# `npm start`: set up the host, put `plat` on PATH, then run platd in the foreground.
set -euo pipefail
cd "$(dirname "$0")/.."
export PLAT_DATA_DIR="${PLAT_DATA_DIR:-/var/lib/plat}"
bash infra/setup.sh
. infra/node-path.sh
if [ -w /usr/local/bin ]; then
  # A small script rather than a link, so the CLI runs on Plat's Node.js too,
  # whatever node comes first on the user's PATH.
  rm -f /usr/local/bin/plat
  printf '#!/bin/sh\nexec %q %q "$@"\n' "$(command -v node)" "$PWD/apps/cli/bin/plat.js" >/usr/local/bin/plat
  chmod 755 /usr/local/bin/plat
fi
# A 1 MB young generation: V8's default lets an idle platd hold ~30 MB of
# garbage from its start (test/support/platd.ts and main.ts's shebang agree).
exec node --max-semi-space-size=1 apps/api/dist/main.js
