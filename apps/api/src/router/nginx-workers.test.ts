import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { errorsSince, sizeOf, waitForExit } from './nginx-workers.js';

describe('a reload nginx refused, from its error log', () => {
  const dir = mkdtempSync(join(tmpdir(), 'plat-error-log-'));
  const log = join(dir, 'error.log');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("finds the master's [emerg] lines written since the reload, not a config check's nor older ones", () => {
    writeFileSync(log, '2026/11/29 04:00:00 [emerg] 100#100: an older failure in /x/nginx.conf:3\n');
    const at = sizeOf(log);
    expect(errorsSince(log, at, 100)).toBeUndefined();
    appendFileSync(log, '2026/11/29 04:00:01 [emerg] 200#200: a check of a candidate config\n');
    appendFileSync(log, '2026/11/29 04:00:01 [warn] 100#100: something to note\n');
    expect(errorsSince(log, at, 100)).toBeUndefined();
    appendFileSync(log, '2026/11/29 04:00:02 [emerg] 100#100: bind() to 127.0.0.1:80 failed (98: in use)\n');
    expect(errorsSince(log, at, 100)).toBe('bind() to 127.0.0.1:80 failed (98: in use)');
    expect(errorsSince(join(dir, 'missing.log'), 0, 100)).toBeUndefined();
  });
});

describe('old workers exiting, from /proc', () => {
  it('waits until every process is gone, an exited one not yet reaped counting as gone', async () => {
    const children = [spawn('sleep', ['30']), spawn('sleep', ['30'])];
    const pids = children.map((child) => child.pid!);
    let exited = false;
    const waiting = waitForExit(pids, 31_000).then(() => {
      exited = true;
    });
    // Reloads overlapping: another wait on the same workers resolves with the first.
    const overlapping = waitForExit([pids[1]!], 31_000);
    children[0]!.kill('SIGKILL');
    await new Promise((resolve) => children[0]!.once('exit', resolve));
    expect(exited).toBe(false);
    children[1]!.kill('SIGKILL');
    await Promise.all([waiting, overlapping]);
    expect(exited).toBe(true);
  });

  it('resolves at once for none, and after the timeout for a process that stays', async () => {
    await waitForExit([], 31_000);
    const child = spawn('sleep', ['30']);
    try {
      await waitForExit([child.pid!], 50);
      expect(child.exitCode).toBeNull();
    } finally {
      child.kill('SIGKILL');
    }
  });
});
