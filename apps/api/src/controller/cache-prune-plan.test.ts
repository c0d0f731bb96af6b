import { describe, expect, it } from 'vitest';
import { ownSizes, planCachePrune, type CachePruneInput, type ImageFact } from './cache-prune-plan.js';

const MB = 1024 ** 2;
const ours = { 'plat.instance': 'a1', 'plat.app-id': 'app-1' };

/** A layer on `parent` adding `adds` MB, created at `at`. */
function layer(
  id: string,
  parent: ImageFact | undefined,
  adds: number,
  at: number,
  extra: Partial<ImageFact> = {},
): ImageFact {
  return {
    id,
    parentId: parent?.id ?? '',
    created: at,
    size: (parent?.size ?? 0) + adds * MB,
    labels: ours,
    tags: [],
    ...extra,
  };
}

const stack = layer('stack', undefined, 300, 1, { labels: {}, tags: ['plat/stack:latest'] });
// Release v1: stack → a → b (tagged, current).
const a = layer('a', stack, 50, 10);
const b = layer('b', a, 5, 11, { tags: ['plat/a1-shop:v1'] });
// A failed build: stack → f1 → f2, dangling.
const f1 = layer('f1', stack, 40, 20);
const f2 = layer('f2', f1, 30, 21);
// Another failed build, newer: stack → g1.
const g1 = layer('g1', stack, 20, 30);

function input(overrides: Partial<CachePruneInput> = {}): CachePruneInput {
  return {
    images: [stack, a, b, f1, f2, g1],
    containerImages: ['b'],
    keep: ['plat/a1-shop:v1'],
    instance: 'a1',
    budgetBytes: 0,
    notAfter: 1000,
    busyApps: [],
    ...overrides,
  };
}

describe('planCachePrune', () => {
  it('measures only the layers nothing uses, each by what it adds to its parent', () => {
    expect(ownSizes([stack, a, b]).get('b')).toBe(5 * MB);
    expect(planCachePrune(input({ budgetBytes: 10_000 * MB }))).toEqual({
      cacheBytes: 90 * MB,
      remove: [],
      freedBytes: 0,
    });
  });

  it('removes the oldest dangling layers first, children before parents, until under the budget', () => {
    const plan = planCachePrune(input({ budgetBytes: 30 * MB }));
    expect(plan.remove).toEqual(['f2', 'f1']);
    expect(plan.freedBytes).toBe(70 * MB);
  });

  it('removes every unused layer with a zero budget, never a release image or its parents', () => {
    const plan = planCachePrune(input());
    expect(plan.remove.sort()).toEqual(['f1', 'f2', 'g1']);
  });

  it('keeps layers a container uses, running or stopped, and their parents', () => {
    const plan = planCachePrune(input({ containerImages: ['b', 'f2'] }));
    expect(plan.remove).toEqual(['g1']);
  });

  it("never touches another platd's layers, or layers with no instance label", () => {
    const theirs = layer('t1', stack, 500, 5, { labels: { 'plat.instance': 'b2', 'plat.app-id': 'app-9' } });
    const unlabelled = layer('u1', stack, 500, 5, { labels: {} });
    const plan = planCachePrune(input({ images: [stack, a, b, f1, f2, g1, theirs, unlabelled] }));
    expect(plan.cacheBytes).toBe(90 * MB);
    expect(plan.remove).not.toContain('t1');
    expect(plan.remove).not.toContain('u1');
  });

  it('keeps the parents of a layer of another platd built on ours', () => {
    const theirs = layer('t1', f1, 1, 25, { labels: { 'plat.instance': 'b2' } });
    const plan = planCachePrune(input({ images: [stack, a, b, f1, f2, g1, theirs] }));
    expect(plan.remove.sort()).toEqual(['f2', 'g1']);
  });

  it('keeps images of kept releases that no container runs (rollback targets), by tag or id', () => {
    const old = layer('old', a, 2, 5, { tags: [] });
    expect(planCachePrune(input({ images: [stack, a, b, old], keep: ['plat/a1-shop:v1', 'old'] })).remove).toEqual([]);
    expect(planCachePrune(input({ images: [stack, a, b, old] })).remove).toEqual(['old']);
  });

  it('keeps tagged images: untagging old releases is pruneImages’ job, by the keep rule', () => {
    const tagged = layer('v0', stack, 10, 3, { tags: ['plat/a1-shop:v0'] });
    expect(planCachePrune(input({ images: [stack, tagged], containerImages: [], keep: [] })).remove).toEqual([]);
  });

  it('leaves the cached layers of an app whose build is running: it may be building on them', () => {
    const otherApp = layer('o1', stack, 10, 22, { labels: { 'plat.instance': 'a1', 'plat.app-id': 'app-2' } });
    const plan = planCachePrune(input({ images: [stack, a, b, f1, f2, g1, otherApp], busyApps: ['app-1'] }));
    expect(plan.remove).toEqual(['o1']);
  });

  it('leaves layers of a build that may still be running', () => {
    const plan = planCachePrune(input({ notAfter: 25 }));
    expect(plan.remove.sort()).toEqual(['f1', 'f2']);
    expect(planCachePrune(input({ notAfter: 21 })).remove).toEqual([]);
  });
});
