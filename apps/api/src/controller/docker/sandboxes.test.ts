import { describe, expect, it } from 'vitest';
import { leftoverSandboxes } from './sandboxes.js';

const now = 1_000_000;
const at = (secondsAgo: number) => now - secondsAgo * 1000;

describe('leftover network sandboxes', () => {
  const sandboxes = [
    { id: 'held', createdMs: at(600) },
    { id: 'joined', createdMs: at(600) },
    { id: 'stray', createdMs: at(61) },
    { id: 'starting', createdMs: at(5) },
  ];

  it('are those no dyno joined, this process does not hold, and no start can still be making', () => {
    const own = new Set(['held']);
    expect(leftoverSandboxes({ sandboxes, own, joined: new Set(['joined']), now })).toEqual(['stray']);
  });

  it('include one a dyno left (its dyno removed behind platd) or one a stopped platd held', () => {
    expect(leftoverSandboxes({ sandboxes, own: new Set(), joined: new Set(), now })).toEqual([
      'held',
      'joined',
      'stray',
    ]);
  });

  it('are none when every sandbox is young, held or joined', () => {
    const own = new Set(['held', 'stray']);
    expect(leftoverSandboxes({ sandboxes, own, joined: new Set(['joined']), now })).toEqual([]);
  });
});
