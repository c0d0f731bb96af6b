#!/usr/bin/env node
// Runs the bundle `npm run build` makes from dist/main.js (see ../build.mjs): one module to load, not
// hundreds. After a bare `tsc -b` (a project's build info newer than the bundle) dist/main.js runs instead.
import { statSync } from 'node:fs';
import module from 'node:module';
import { homedir } from 'node:os';
import { join } from 'node:path';

// V8's code for the bundle kept between runs, in the user's own cache dir (never a shared /tmp one): the
// bundle then loads in about half the time. Keyed by each file's content, so a rebuilt bundle is compiled anew.
try {
  module.enableCompileCache?.(join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'plat', 'compile-cache'));
} catch {
  // An unwritable home only makes the start slower.
}

const at = (path) => new URL(path, import.meta.url);
const age = (file) => statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? -1;
const bundle = at('../dist/plat.bundle.js');
const built = ['../tsconfig.tsbuildinfo', '../../../packages/core/tsconfig.tsbuildinfo'];
built.push('../../../packages/client/tsconfig.tsbuildinfo');
const fresh = built.every((info) => age(at(info)) <= age(bundle));
const { main } = await import(fresh ? bundle.href : at('../dist/main.js').href);

process.exitCode = await main(process.argv);
