import { mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUILD_SANDBOX_IDLE_MS, boundedFile, buildSandboxSweep } from './build-sandboxes.js';

const now = 10_000_000;
const box = (id: string, options: { secondsAgo?: number; running?: boolean } = {}) => ({
  id,
  createdMs: now - (options.secondsAgo ?? 600) * 1000,
  running: options.running ?? true,
});

describe('a sweep of build sandboxes', () => {
  it('keeps an app its sandbox while it builds or pushed lately, and forgets one idle for long', () => {
    const plan = buildSandboxSweep({
      sandboxes: [box('recent'), box('building'), box('idle')],
      held: [
        ['a', { id: 'recent', usedAt: now - 60_000, building: false }],
        ['b', { id: 'building', usedAt: now - 2 * BUILD_SANDBOX_IDLE_MS, building: true }],
        ['c', { id: 'idle', usedAt: now - BUILD_SANDBOX_IDLE_MS - 1, building: false }],
      ],
      now,
    });
    expect(plan).toEqual({ forget: ['c'], remove: ['idle'] });
  });

  it('forgets one that stopped or is gone, and removes leftovers no app holds once past a start', () => {
    const plan = buildSandboxSweep({
      sandboxes: [
        box('stopped', { running: false }),
        box('stray', { secondsAgo: 61 }),
        box('young', { secondsAgo: 5 }),
      ],
      held: [
        ['a', { id: 'stopped', usedAt: now, building: false }],
        ['b', { id: 'gone', usedAt: now, building: false }],
        ['c', { usedAt: now, building: false }],
      ],
      now,
    });
    expect(plan).toEqual({ forget: ['a', 'b'], remove: ['stopped', 'stray'] });
  });
});

describe("a build sandbox's shared file, as platd reads it", () => {
  it('is read when a small regular file, never through a link or past 64 KiB', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'plat-shared-file-'));
    try {
      writeFileSync(join(dir, 'hosts'), '127.0.0.1 localhost\n');
      writeFileSync(join(dir, 'secret'), 'host file\n');
      symlinkSync(join(dir, 'secret'), join(dir, 'linked'));
      writeFileSync(join(dir, 'grown'), '');
      truncateSync(join(dir, 'grown'), 64 * 1024 + 1);
      expect((await boundedFile(join(dir, 'hosts')))?.toString()).toBe('127.0.0.1 localhost\n');
      expect(await boundedFile(join(dir, 'linked'))).toBeUndefined();
      expect(await boundedFile(join(dir, 'grown'))).toBeUndefined();
      expect(await boundedFile(join(dir, 'missing'))).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
