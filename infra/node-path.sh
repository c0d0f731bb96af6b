# Sourced by setup.sh, start.sh and test.sh from the repository's root: puts the
# Node.js Plat runs on (infra/node, fetched by setup.sh) first on PATH, so
# `node`, npm's and vitest's `#!/usr/bin/env node` and every child's
# process.execPath are that one. Without it (not x86_64), the machine's Node runs.
if [ -x "$PWD/infra/node/node_modules/.bin/node" ]; then
  export PATH="$PWD/infra/node/node_modules/.bin:$PATH"
fi
