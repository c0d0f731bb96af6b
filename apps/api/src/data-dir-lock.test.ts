/**
 * One platd per data dir, enforced by an OS lock: a second taker is refused
 * while the first lives, however it dies the lock goes with it, and many
 * racing takers never both win.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lockDataDir } from './data-dir-lock.js';

const dir = mkdtempSync(join(tmpdir(), 'plat-lock-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const LOCK = resolve(import.meta.dirname, 'data-dir-lock.ts');

/** Another process that tries the lock, says what happened, and holds it until killed. */
function taker(): Promise<{ result: string; kill(): Promise<void> }> {
  const program = `import { lockDataDir } from ${JSON.stringify(LOCK)};
try { lockDataDir(${JSON.stringify(dir)}); console.log('locked'); setInterval(() => {}, 1000); }
catch (error) { console.log(error.message); process.exit(0); }`;
  // tsx as a loader, not its CLI: one process, which SIGKILL ends with its lock.
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '--eval', program], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolvePromise, reject) => {
    let output = '';
    child.on('error', reject);
    child.stdout.on('data', (chunk) => {
      output += chunk;
      if (!output.includes('\n')) return;
      resolvePromise({
        result: output.trim(),
        kill: async () => {
          if (child.exitCode !== null) return;
          const exited = new Promise((r) => child.on('exit', r));
          child.kill('SIGKILL');
          await exited;
        },
      });
    });
  });
}

describe('the data dir lock', () => {
  it('refuses a second platd while the first runs, and frees itself when the first is killed', async () => {
    const first = await taker();
    expect(first.result).toBe('locked');
    expect(() => lockDataDir(dir)).toThrow(
      new RegExp(`another platd \\(pid \\d+\\) is using ${dir}; give this one its own PLAT_DATA_DIR`),
    );
    await first.kill();
    const unlock = lockDataDir(dir);
    const third = await taker();
    expect(third.result).toMatch(/^another platd \(pid \d+\) is using/);
    unlock();
  });

  it('lets exactly one of many racing starts win', async () => {
    const takers = await Promise.all(Array.from({ length: 6 }, () => taker()));
    try {
      expect(takers.filter((t) => t.result === 'locked')).toHaveLength(1);
      expect(takers.filter((t) => t.result.startsWith('another platd'))).toHaveLength(5);
    } finally {
      await Promise.all(takers.map((t) => t.kill()));
    }
  });
});
