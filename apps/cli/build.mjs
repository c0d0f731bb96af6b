// Bundles the CLI into one file, dist/plat.bundle.js, which bin/plat.js runs:
// Node resolves and compiles one module instead of a few hundred, which is
// most of what `plat` costs before it sends a request (bench/deploy's
// cli_start). It sits beside dist/main.js, so the paths it finds relative to
// itself (../package.json, ../bin/git-credential-plat.js) are the same.
import { join } from 'node:path';
import { build } from 'esbuild';

const here = import.meta.dirname;

await build({
  entryPoints: [join(here, 'dist/main.js')],
  outfile: join(here, 'dist/plat.bundle.js'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: ['node22'],
  minifyWhitespace: true,
  sourcemap: 'linked',
  // Some dependencies are CommonJS and require() Node's modules.
  banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
  legalComments: 'none',
  logLevel: 'warning',
});
