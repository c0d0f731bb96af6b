import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { errorsSince, sizeOf } from './nginx-workers.js';

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
