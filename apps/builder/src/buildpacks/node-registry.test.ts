import { describe, expect, it } from 'vitest';
import type { NodeReleases } from './node-version.js';
import { keptFresh } from './node-registry.js';

/** A registry that answers from a list, counting the times it is asked. */
function registry(answers: NodeReleases[]) {
  const asked = { times: 0 };
  const fetch = async () => answers[Math.min(asked.times++, answers.length - 1)]!;
  return { asked, fetch };
}

describe('the registry answer kept between pushes', () => {
  it('asks once while the answer is fresh, and again once it is not', async () => {
    const { asked, fetch } = registry([{ versions: ['22.1.0'] }, { versions: ['22.2.0'] }]);
    let clock = 0;
    const releases = keptFresh(fetch, { freshMs: 1000, now: () => clock });
    expect(await releases()).toEqual({ versions: ['22.1.0'] });
    clock = 999;
    expect(await releases()).toEqual({ versions: ['22.1.0'] });
    expect(asked.times).toBe(1);
    clock = 1000;
    expect(await releases()).toEqual({ versions: ['22.2.0'] });
    expect(asked.times).toBe(2);
  });

  it('shares one question between pushes that ask at once', async () => {
    const { asked, fetch } = registry([{ versions: ['22.1.0'] }]);
    const releases = keptFresh(fetch, { now: () => 0 });
    const answers = await Promise.all([releases(), releases(), releases()]);
    expect(answers).toEqual([{ versions: ['22.1.0'] }, { versions: ['22.1.0'] }, { versions: ['22.1.0'] }]);
    expect(asked.times).toBe(1);
  });

  it('does not keep an error: the next push asks again', async () => {
    const { asked, fetch } = registry([{ error: 'no answer within 15000 ms' }, { versions: ['22.1.0'] }]);
    const releases = keptFresh(fetch, { now: () => 0 });
    expect(await releases()).toEqual({ error: 'no answer within 15000 ms' });
    expect(await releases()).toEqual({ versions: ['22.1.0'] });
    expect(await releases()).toEqual({ versions: ['22.1.0'] });
    expect(asked.times).toBe(2);
  });

  it('does not keep a failure: the next push asks again', async () => {
    let times = 0;
    const fetch = async (): Promise<NodeReleases> => {
      times += 1;
      if (times === 1) throw new Error('no CA bundle');
      return { versions: ['22.1.0'] };
    };
    const releases = keptFresh(fetch, { now: () => 0 });
    await expect(releases()).rejects.toThrow('no CA bundle');
    expect(await releases()).toEqual({ versions: ['22.1.0'] });
    expect(times).toBe(2);
  });
});
