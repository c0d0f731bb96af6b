// Bundles the CLI into one file, dist/plat.bundle.js, which bin/plat.js runs:
// Node resolves and compiles one module instead of a few hundred, which is
// most of what `plat` costs before it sends a request (bench/deploy's
// cli_start). It sits beside dist/main.js, so the paths it finds relative to
// itself (../package.json, ../bin/git-credential-plat.js) are the same.
import { isBuiltin } from 'node:module';
import { join } from 'node:path';
import { build } from 'esbuild';

const here = import.meta.dirname;

/**
 * Node's modules reach the bundle by require(), not import: an ESM import of one reads every export, and
 * node:http's lazy WebSocket export then loads all of undici, node:fs's lazy ReadStream all of streams
 * (~50 ms of a ~190 ms start where processes start slowly, ~15 of ~70 elsewhere).
 */
const builtinsByRequire = {
  name: 'builtins-by-require',
  setup(build) {
    build.onResolve({ filter: /.*/ }, (args) =>
      args.kind !== 'require-call' && isBuiltin(args.path) ? { path: args.path, namespace: 'builtin' } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'builtin' }, (args) => ({
      contents: `module.exports = require(${JSON.stringify(args.path)});`,
      loader: 'js',
    }));
  },
};

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
  plugins: [builtinsByRequire],
});
