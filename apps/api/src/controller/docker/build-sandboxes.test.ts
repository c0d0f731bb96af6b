import { describe, expect, it } from 'vitest';
import { BUILD_SANDBOX_IDLE_MS, buildSandboxSweep } from './build-sandboxes.js';

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
