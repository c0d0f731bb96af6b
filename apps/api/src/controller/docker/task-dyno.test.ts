import { describe, expect, it } from 'vitest';
import { toDeath } from './events.js';
import { statsSource } from './stats.js';
import { dynoOf } from './task-dyno.js';

const TASK = {
  'plat.instance': 'i1',
  'plat.app': 'shop',
  'plat.app-id': 'a1',
  'plat.process': 'web',
  'plat.release': 'r2',
  'com.docker.swarm.task.name': 'plat-i1-shop-web.3.k2x9qz7m1c4e',
};

describe('a Swarm task as a dyno', () => {
  it('is named by its process and task slot, a dyno container by its label', () => {
    expect(dynoOf(TASK)).toBe('web.3');
    expect(dynoOf({ 'plat.dyno': 'worker.2', 'plat.process': 'worker' })).toBe('worker.2');
    expect(dynoOf({ 'plat.process': 'web' })).toBe('');
  });

  it('dies and is sampled as that dyno', () => {
    const line = JSON.stringify({
      id: 'c1',
      Actor: { Attributes: { ...TASK, exitCode: '1', name: 'plat-i1-shop-web.3.k2x9' } },
    });
    expect(toDeath(line)).toMatchObject({ app: 'shop', dyno: 'web.3', releaseId: 'r2', exitCode: 1, oneOff: false });
    expect(statsSource('c1', TASK)).toMatchObject({ kind: 'dyno', app: 'shop', type: 'web', name: 'web.3' });
  });
});

describe('a network sandbox that dies', () => {
  it("is a sandbox's death, not a dyno's, whether it held a dyno's namespace or an app's builds'", () => {
    const death = (labels: Record<string, string>) =>
      toDeath(
        JSON.stringify({ id: 's1', Actor: { Attributes: { 'plat.instance': 'i1', 'plat.app': 'shop', ...labels } } }),
      );
    expect(death({ 'plat.sandbox': 'plat-i1-a1' })).toMatchObject({ sandbox: true, dyno: '' });
    expect(death({ 'plat.build-sandbox': 'plat-i1--builds' })).toMatchObject({ sandbox: true, dyno: '' });
    expect(death({ 'plat.dyno': 'web.1' }).sandbox).toBeUndefined();
  });
});
