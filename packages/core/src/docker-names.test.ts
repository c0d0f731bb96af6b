import { describe, expect, it } from 'vitest';
import {
  addonImageRepo,
  addonObjectName,
  appImageTag,
  buildNetworkName,
  dynoContainerName,
  instanceFilter,
  isStartOf,
  LABELS,
  labelFilter,
  legacyNetworkName,
  networkName,
  oneOffContainerName,
  reservedImageLabels,
  reservedImageLabelsMessage,
  serviceImageTag,
  stackBaseImage,
  STACK_IMAGE,
  startedContainerName,
} from './docker-names.js';
import { SWARM_LABELS, serviceName } from './docker-names.js';

describe('Docker names', () => {
  it("names an app's network by its id, and the legacy one by its name", () => {
    const appId = '0c2d7a6e-1111-4222-8333-444455556666';
    expect(networkName('i1', appId)).toBe(`plat-i1-${appId}`);
    expect(legacyNetworkName('i1', 'shop')).toBe('plat-i1-shop');
  });

  it('names the build network so no app name can meet it', () => {
    expect(buildNetworkName('i1')).toBe('plat-i1--builds');
    // App names start with a letter: no app's network is `plat-i1--…`.
    expect(legacyNetworkName('i1', 'builds')).not.toBe(buildNetworkName('i1'));
  });

  it('names dyno containers by app, process, index, version and restart generation', () => {
    const dyno = { instance: 'i1', app: 'shop', process: 'web', index: 2, version: 7, generation: 0 };
    expect(dynoContainerName(dyno)).toBe('plat-i1-shop-web-2-v7');
    expect(dynoContainerName({ ...dyno, generation: 3 })).toBe('plat-i1-shop-web-2-v7-g3');
    const oneOff = { instance: 'i1', app: 'shop', kind: 'run', number: 4711 };
    expect(oneOffContainerName(oneOff)).toBe('plat-i1-shop-run-4711');
  });

  it("tells a started container by its dyno's name, and not a longer dyno's", () => {
    const started = startedContainerName('plat-i1-shop-run-4', 'a1b2c3');
    expect(started).toBe('plat-i1-shop-run-4-a1b2c3');
    expect(isStartOf(`/${started}`, 'plat-i1-shop-run-4')).toBe(true);
    expect(isStartOf(started, 'plat-i1-shop-run-4')).toBe(true);
    expect(isStartOf('/plat-i1-shop-run-47-a1b2c3', 'plat-i1-shop-run-4')).toBe(false);
  });

  it('names add-on objects by the row id; legacy ones by the name they were made with', () => {
    const addon = { id: '11111111-aaaa-4aaa-8aaa-111111111111', name: 'redis-calm-1234', legacy_names: false };
    expect(addonObjectName('i1', addon)).toBe(`plat-i1-addon-${addon.id}`);
    expect(addonObjectName('i1', { ...addon, legacy_names: true })).toBe('plat-i1-addon-redis-calm-1234');
  });

  it('tags images: the stack, its base, app builds and add-on images', () => {
    expect(STACK_IMAGE).toBe('plat/stack:latest');
    expect(stackBaseImage('0123456789ab')).toBe('plat/stack-base:0123456789ab');
    expect(appImageTag('i1', 'shop', '3f2a1b0c9d8e7f6a5b4c')).toBe('plat/i1-shop:3f2a1b0c9d8e');
    expect(serviceImageTag(addonImageRepo('postgres'), 'abcdef012345')).toBe('plat/addon-postgres:abcdef012345');
  });

  it('writes label filters as Docker reads them', () => {
    expect(instanceFilter('i1')).toBe('plat.instance=i1');
    expect(labelFilter(LABELS.appId, 'app-1')).toBe('plat.app-id=app-1');
    expect(labelFilter(LABELS.oneOff)).toBe('plat.one-off');
  });
});

describe('reservedImageLabels', () => {
  it('passes the labels every build sets and the stack recipe, and names any other plat. label', () => {
    expect(reservedImageLabels({ 'plat.instance': 'a', 'plat.app-id': 'b', 'plat.stack.recipe': 'c' })).toEqual([]);
    expect(reservedImageLabels({ maintainer: 'me', 'org.opencontainers.image.title': 'x' })).toEqual([]);
    expect(reservedImageLabels(null)).toEqual([]);
    const spoofed = { 'plat.one-off': 'true', 'plat.addon': 'db', 'Plat.Dyno': 'web.1', 'plat.instance': 'a' };
    expect(reservedImageLabels(spoofed)).toEqual(['Plat.Dyno', 'plat.addon', 'plat.one-off']);
    expect(reservedImageLabelsMessage(['plat.addon'])).toBe(
      'The image sets labels that Plat reserves (plat.addon); remove them from the Dockerfile',
    );
  });
});

describe('serviceName', () => {
  it("names an app process type's Swarm service under the instance, within Swarm's 63 characters", () => {
    expect(serviceName('i1', 'shop', 'web')).toBe('plat-i1-shop-web');
    expect(serviceName('i1', 'shop', 'worker_2')).toBe('plat-i1-shop-worker_2');
    // No two apps' types meet in one name: `shop` + `api-web` is not `shop-api` + `web`.
    expect(serviceName('i1', 'shop', 'api-web')).toBe('plat-i1-shop_api-web');
    expect(serviceName('i1', 'shop-api', 'web')).toBe('plat-i1-shop-api-web');
    const long = serviceName('abcdefgh12345678', 'a'.repeat(30), 'worker_high_priority');
    const other = serviceName('abcdefgh12345678', 'a'.repeat(30), 'worker_high_priority2');
    expect(long).toMatch(/^plat-abcdefgh12345678-a{30}-w-[0-9a-f]{8}$/);
    expect(long.length).toBeLessThanOrEqual(63);
    expect(other).not.toBe(long);
    expect(other.length).toBeLessThanOrEqual(63);
    expect(SWARM_LABELS.spec.startsWith('plat.')).toBe(true);
  });
});
