import { describe, expect, it } from 'vitest';
import { addonObjectName } from '@plat/core';
import { addonFilter, addonLabels, isAddonObject, planAddonRecovery, type LabelledObject } from './addon-objects.js';

const one = {
  id: '11111111-aaaa-4aaa-8aaa-111111111111',
  name: 'redis-calm-1234',
  app_id: 'app-1',
  legacy_names: false,
};
/** Another app's add-on that drew the same name (or an old one that had it). */
const twin = { ...one, id: '22222222-bbbb-4bbb-8bbb-222222222222', app_id: 'app-2' };
const legacy = {
  id: '33333333-cccc-4ccc-8ccc-333333333333',
  name: 'postgres-old-4321',
  app_id: 'app-1',
  legacy_names: true,
};

describe('add-on objects', () => {
  it('names containers and volumes by the row id, so equal names never share one', () => {
    expect(addonObjectName('i1', one)).toBe(`plat-i1-addon-${one.id}`);
    expect(addonObjectName('i1', twin)).not.toBe(addonObjectName('i1', one));
    // Made before ids: the name they were made with.
    expect(addonObjectName('i1', legacy)).toBe('plat-i1-addon-postgres-old-4321');
  });

  it('labels objects with the instance, app, name and id', () => {
    expect(addonLabels('i1', one, 'shop')).toEqual({
      'plat.instance': 'i1',
      'plat.app': 'shop',
      'plat.app-id': 'app-1',
      'plat.addon': 'redis-calm-1234',
      'plat.addon-id': one.id,
    });
  });

  it('finds objects by the id label, never by name alone', () => {
    expect(addonFilter('i1', one)).toEqual(['plat.instance=i1', `plat.addon-id=${one.id}`]);
    expect(addonFilter('i1', legacy)).toEqual([
      'plat.instance=i1',
      'plat.app-id=app-1',
      'plat.addon=postgres-old-4321',
    ]);
    const twinsObject = addonLabels('i1', twin, 'other');
    expect(isAddonObject(twinsObject, 'i1', one)).toBe(false);
    expect(isAddonObject(addonLabels('i1', one, 'shop'), 'i1', one)).toBe(true);
    // Same add-on, another platd instance: not ours.
    expect(isAddonObject(addonLabels('i2', one, 'shop'), 'i1', one)).toBe(false);
    // A legacy add-on's name on another app's object does not make it its.
    expect(
      isAddonObject({ 'plat.instance': 'i1', 'plat.app-id': 'app-2', 'plat.addon': legacy.name }, 'i1', legacy),
    ).toBe(false);
    expect(
      isAddonObject({ 'plat.instance': 'i1', 'plat.app-id': 'app-1', 'plat.addon': legacy.name }, 'i1', legacy),
    ).toBe(true);
  });
});

describe('planAddonRecovery', () => {
  const object = (ref: string, labels: Record<string, string>): LabelledObject => ({ kind: 'container', ref, labels });

  it('undoes provisioning rows, finishes destroying ones, and removes objects no row owns', () => {
    const rows = [
      { ...one, state: 'active' },
      { ...twin, state: 'provisioning' },
      { ...legacy, state: 'destroying' },
    ];
    const objects = [
      object('c-one', addonLabels('i1', one, 'shop')),
      object('c-twin', addonLabels('i1', twin, 'other')),
      object('c-legacy', { 'plat.instance': 'i1', 'plat.app-id': 'app-1', 'plat.addon': legacy.name }),
      object('c-orphan', addonLabels('i1', { ...one, id: '44444444-dddd-4ddd-8ddd-444444444444' }, 'shop')),
      object('c-other-instance', addonLabels('i2', { ...one, id: '55555555-eeee-4eee-8eee-555555555555' }, 'shop')),
      object('c-dyno', { 'plat.instance': 'i1', 'plat.app': 'shop', 'plat.dyno': 'web.1' }),
    ];
    const plan = planAddonRecovery('i1', rows, objects);
    expect(plan.discard.map((row) => row.id)).toEqual([twin.id]);
    expect(plan.finish.map((row) => row.id)).toEqual([legacy.id]);
    expect(plan.orphans.map((o) => o.ref)).toEqual(['c-orphan']);
  });

  it('has nothing to do when every row is active and owns its objects', () => {
    const plan = planAddonRecovery(
      'i1',
      [{ ...one, state: 'active' }],
      [object('c-one', addonLabels('i1', one, 'shop'))],
    );
    expect(plan).toEqual({ discard: [], finish: [], orphans: [] });
  });
});
