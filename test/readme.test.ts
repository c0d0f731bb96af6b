/**
 * The README is the user's manual: every error id Plat can answer with and
 * every environment variable it reads must be in it. Checked from the code,
 * so a new setting or error cannot ship undocumented.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { catalogue } from '../packages/core/src/errors.js';
import { ROOT } from './support/platd.js';

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** Variables the OS or git sets, and the ones platd hands its own git hook. */
const NOT_SETTINGS = new Set(['PATH', 'HOME', 'PLAT_HOOK_URL', 'PLAT_HOOK_SECRET', 'PLAT_TEST_POSTGRES_URL']);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === 'node_modules' || name === 'dist') return [];
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.ts$/.test(name) && !/\.test\.ts$/.test(name) && !path.includes('/testing/') ? [path] : [];
  });
}

function variablesRead(): string[] {
  const roots = ['apps', 'packages', 'addons'].flatMap((top) =>
    readdirSync(join(ROOT, top), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => join(ROOT, top, entry.name, 'src')),
  );
  const found = new Set<string>();
  for (const file of roots
    .filter((dir) => statSync(dir, { throwIfNoEntry: false })?.isDirectory())
    .flatMap(sourceFiles)) {
    // Code, not comments: a comment may show an app's config var (`env.SECRET_KEY.generator`).
    const code = readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => !/^\s*(\*|\/\/|\/\*)/.test(line))
      .join('\n');
    for (const match of code.matchAll(/\benv(?:\.([A-Z][A-Z0-9_]+)|\[['"]([A-Z][A-Z0-9_]+)['"]\])/g)) {
      found.add((match[1] ?? match[2])!);
    }
  }
  return [...found].filter((name) => !NOT_SETTINGS.has(name)).sort();
}

describe('the README documents', () => {
  it('every error id with its HTTP status', () => {
    const missing = Object.entries(catalogue)
      .filter(([id, entry]) => !readme.includes(`\`${id}\` ${entry.status}`))
      .map(([id, entry]) => `${id} ${entry.status}`);
    expect(missing).toEqual([]);
  });

  it('every environment variable Plat reads', () => {
    const variables = variablesRead();
    expect(variables).toContain('PLAT_DATA_DIR');
    expect(variables.filter((name) => !readme.includes(`\`${name}\``))).toEqual([]);
  });
});
