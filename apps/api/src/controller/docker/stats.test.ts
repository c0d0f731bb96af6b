import { ADDON_LABELS, LABELS } from '@plat/core';
import { describe, expect, it } from 'vitest';
import { concurrencyFor, statsSource } from './stats.js';

const app = { [LABELS.instance]: 'i1', [LABELS.app]: 'hello', [LABELS.appId]: 'a1' };

describe('which containers are sampled', () => {
  it('samples formation dynos and add-ons by their labels', () => {
    const dyno = { ...app, [LABELS.process]: 'web', [LABELS.dyno]: 'web.2', [LABELS.release]: 'r1' };
    expect(statsSource('c1', dyno)).toEqual({
      containerId: 'c1',
      kind: 'dyno',
      appId: 'a1',
      app: 'hello',
      type: 'web',
      name: 'web.2',
      releaseId: 'r1',
    });
    expect(statsSource('c2', { ...app, [ADDON_LABELS.name]: 'redis-1', [ADDON_LABELS.id]: 'x' })).toMatchObject({
      kind: 'addon',
      type: 'redis-1',
      name: 'redis-1',
    });
  });

  it('leaves out one-offs and containers of no app', () => {
    const oneOff = { ...app, [LABELS.process]: 'run', [LABELS.dyno]: 'run.1', [LABELS.oneOff]: 'true' };
    expect(statsSource('c3', oneOff)).toBeUndefined();
    expect(statsSource('c4', { [LABELS.instance]: 'i1' })).toBeUndefined();
    expect(statsSource('c5', app)).toBeUndefined();
  });
});

describe('how many stats requests a round keeps open', () => {
  it('reads at least 4 at a time, more so that a round takes about 5 reads, at most 32', () => {
    expect(concurrencyFor(0)).toBe(4);
    expect(concurrencyFor(20)).toBe(4);
    expect(concurrencyFor(50)).toBe(10);
    expect(concurrencyFor(500)).toBe(32);
  });
});
