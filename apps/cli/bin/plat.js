#!/usr/bin/env node
// Runs the bundle `npm run build` makes from dist/main.js (see ../build.mjs): one module to load, not
// hundreds. After a bare `tsc -b` (a project's build info newer than the bundle) dist/main.js runs instead.
import { chmodSync, lstatSync, mkdirSync, rmSync, statSync } from 'node:fs';
import module from 'node:module';
import { userInfo } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * Where V8's code for the bundle is kept between runs (plat then starts in ~66 ms, not ~72): in the home the
 * password database gives the user, never one from HOME or XDG_CACHE_HOME, which `sudo -E` and `su` hand on to
 * root; and only when the user alone can write there, since code read from it runs as them.
 */
function compileCacheDir() {
  try {
    const dir = join(userInfo().homedir, '.cache', 'plat', 'compile-cache');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    for (const path of [dirname(dir), dir]) {
      const stat = lstatSync(path);
      if (!stat.isDirectory() || stat.uid !== process.getuid()) return undefined;
      if ((stat.mode & 0o022) === 0) continue;
      // Ours, but others could write there (a umask of 002 when Node made it): closed, and its code dropped.
      chmodSync(path, 0o700);
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { mode: 0o700 });
    }
    return dir;
  } catch {
    // No home, or not ours: the start is only slower.
    return undefined;
  }
}

const cacheDir = compileCacheDir();
// Keyed by each file's content: a rebuilt bundle is compiled anew.
if (cacheDir) module.enableCompileCache?.(cacheDir);

const at = (path) => new URL(path, import.meta.url);
const age = (file) => statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? -1;
const bundle = at('../dist/plat.bundle.js');
const built = ['../tsconfig.tsbuildinfo', '../../../packages/core/tsconfig.tsbuildinfo'];
built.push('../../../packages/client/tsconfig.tsbuildinfo');
const fresh = built.every((info) => age(at(info)) <= age(bundle));
const { main } = await import(fresh ? bundle.href : at('../dist/main.js').href);

process.exitCode = await main(process.argv);
