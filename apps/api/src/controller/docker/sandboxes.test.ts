import { describe, expect, it } from 'vitest';
import { leftoverSandboxes, sandboxSweep } from './sandboxes.js';

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

describe('a sweep of network sandboxes', () => {
  const box = (id: string, network: string, options: { secondsAgo?: number; running?: boolean } = {}) => ({
    id,
    network,
    createdMs: at(options.secondsAgo ?? 600),
    running: options.running ?? true,
  });

  it("keeps one leftover as the spare of an app that runs dynos in sandboxes and has none (a stopped platd's)", () => {
    const sandboxes = [box('dyno-a', 'a'), box('old-a1', 'a'), box('old-a2', 'a'), box('old-b', 'b')];
    const joined = new Set(['dyno-a']);
    const plan = sandboxSweep({ sandboxes, own: new Set(), joined, inUse: new Set(['a']), spares: new Map(), now });
    expect(plan).toEqual({ remove: ['old-a1', 'old-a2', 'old-b'], adopt: ['old-a1'], drop: [] });
  });

  it('adopts none where the app has a spare, and never a young or a stopped one', () => {
    const sandboxes = [
      box('dyno-a', 'a'),
      box('spare-a', 'a'),
      box('old-a', 'a'),
      box('dyno-b', 'b'),
      box('young-b', 'b', { secondsAgo: 5 }),
      box('dead-b', 'b', { running: false }),
    ];
    const plan = sandboxSweep({
      sandboxes,
      own: new Set(['spare-a']),
      joined: new Set(['dyno-a', 'dyno-b']),
      inUse: new Set(['a', 'b']),
      spares: new Map([['a', 'spare-a']]),
      now,
    });
    expect(plan).toEqual({ remove: ['old-a', 'dead-b'], adopt: [], drop: [] });
  });

  it('drops the spare of an app no dyno of which is in a sandbox, and a spare that stopped', () => {
    const sandboxes = [box('spare-a', 'a'), box('dyno-b', 'b'), box('spare-b', 'b', { running: false })];
    const plan = sandboxSweep({
      sandboxes,
      own: new Set(['spare-a', 'spare-b']),
      joined: new Set(['dyno-b']),
      inUse: new Set(['b']),
      spares: new Map([
        ['a', 'spare-a'],
        ['b', 'spare-b'],
      ]),
      now,
    });
    expect(plan).toEqual({ remove: [], adopt: [], drop: ['a', 'b'] });
  });
});
