import { describe, expect, it } from 'vitest';
import { checkStage, nextStage, planPromotion, type CoupledApp } from './promotion-plan.js';

const apps: CoupledApp[] = [
  { name: 'shop-dev', stage: 'development' },
  { name: 'shop-staging', stage: 'staging' },
  { name: 'shop-eu', stage: 'production' },
  { name: 'shop-us', stage: 'production' },
  { name: 'shop-pr-fix', stage: 'review' },
];
const plan = (source: string, to?: string[]) =>
  planPromotion({ pipeline: 'shop', source: apps.find((app) => app.name === source)!, apps, to });

describe('stages', () => {
  it('moves development to staging to production, and no further', () => {
    expect(nextStage('development')).toBe('staging');
    expect(nextStage('staging')).toBe('production');
    expect(nextStage('production')).toBeUndefined();
    expect(nextStage('review')).toBeUndefined();
  });

  it('accepts the four stages only', () => {
    expect(checkStage('staging')).toBe('staging');
    for (const bad of ['Staging', 'prod', '', 3, undefined]) expect(() => checkStage(bad)).toThrow(/Invalid stage/);
  });
});

describe('planPromotion', () => {
  it('promotes to every app of the next stage', () => {
    expect(plan('shop-staging')).toEqual(['shop-eu', 'shop-us']);
    expect(plan('shop-dev')).toEqual(['shop-staging']);
  });

  it('promotes to the named downstream apps only, once each', () => {
    expect(plan('shop-staging', ['shop-us', 'shop-us'])).toEqual(['shop-us']);
    expect(plan('shop-dev', ['shop-eu'])).toEqual(['shop-eu']);
  });

  it('refuses targets outside the pipeline, upstream, or the source itself', () => {
    expect(() => plan('shop-staging', ['elsewhere'])).toThrow('elsewhere is not in the pipeline shop.');
    expect(() => plan('shop-staging', ['shop-dev'])).toThrow(/not downstream of shop-staging/);
    expect(() => plan('shop-staging', ['shop-pr-fix'])).toThrow(/not downstream/);
    expect(() => plan('shop-staging', ['shop-staging'])).toThrow(/to itself/);
  });

  it('refuses to promote production or a review app', () => {
    expect(() => plan('shop-eu')).toThrow('shop-eu cannot be promoted: production is the last stage.');
    expect(() => plan('shop-pr-fix')).toThrow(/review apps are not promoted/);
  });

  it('says how to add an app when the next stage is empty', () => {
    const lonely = [{ name: 'solo', stage: 'staging' as const }];
    expect(() => planPromotion({ pipeline: 'p', source: lonely[0]!, apps: lonely })).toThrow(
      'The pipeline p has no app in the production stage: add one with plat pipelines:add p -a APP --stage production.',
    );
  });
});
