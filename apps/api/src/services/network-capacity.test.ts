import { PlatError } from '@plat/core';
import { describe, expect, it } from 'vitest';
import { settingsFromEnv } from '../config.js';
import { addressesNeeded, blockHosts, checkBlockRoom, checkFormationRoom } from './network-capacity.js';

const refusal = (run: () => void): PlatError => {
  try {
    run();
  } catch (error) {
    return error as PlatError;
  }
  throw new Error('expected a refusal');
};

describe('addresses of a block', () => {
  it('leaves out the network, broadcast and gateway addresses', () => {
    expect(blockHosts(28)).toBe(13);
    expect(blockHosts(26)).toBe(61);
    expect(blockHosts(25)).toBe(125);
  });

  it('counts web dynos twice (a rolling deploy) and keeps room for one-offs and add-ons', () => {
    const formation = [
      { type: 'web', quantity: 3 },
      { type: 'worker', quantity: 2 },
    ];
    expect(addressesNeeded(formation, 10)).toBe(3 + 2 + 3 + 10 + 8);
    expect(addressesNeeded([], 0)).toBe(8);
  });
});

describe("the block size at platd's start", () => {
  it('lets the default /26 hold the default limits', () => {
    const settings = settingsFromEnv({});
    expect(settings.networkPool.blockPrefix).toBe(26);
    const { maxDynosPerType, maxOneOffs } = settings;
    expect(maxDynosPerType).toBe(20);
    expect(() =>
      checkBlockRoom({ blockPrefix: settings.networkPool.blockPrefix, maxDynosPerType, maxOneOffs }),
    ).not.toThrow();
  });

  it('refuses a block too small for the limits, naming PLAT_NETWORK_BLOCK', () => {
    expect(() => settingsFromEnv({ PLAT_NETWORK_BLOCK: '28' })).toThrow(
      'PLAT_NETWORK_BLOCK /28 holds 13 containers, but an app may need 58 (20 dynos of a type, twice during a ' +
        'rolling deploy (PLAT_MAX_DYNOS_PER_TYPE), 10 one-offs (PLAT_MAX_ONE_OFFS) and 8 add-ons): set a smaller ' +
        'PLAT_NETWORK_BLOCK prefix, or lower those limits',
    );
    expect(() => settingsFromEnv({ PLAT_NETWORK_BLOCK: '26', PLAT_MAX_DYNOS_PER_TYPE: '22' })).toThrow(
      'PLAT_NETWORK_BLOCK /26 holds 61 containers',
    );
    // Lower limits make a small block fit.
    expect(
      settingsFromEnv({ PLAT_NETWORK_BLOCK: '28', PLAT_MAX_DYNOS_PER_TYPE: '2', PLAT_MAX_ONE_OFFS: '1' }).networkPool
        .blockPrefix,
    ).toBe(28);
    expect(settingsFromEnv({ PLAT_NETWORK_BLOCK: '24', PLAT_MAX_DYNOS_PER_TYPE: '100' }).maxDynosPerType).toBe(100);
  });
});

describe('a scale against the app’s block', () => {
  const limits = { blockPrefix: 26, maxOneOffs: 10 };

  it('allows a formation that fits, rolling deploy and margin included', () => {
    expect(() => checkFormationRoom([{ type: 'web', quantity: 20 }], limits)).not.toThrow();
    // 20 + 3 + 20 (rolling) + 18 (margin) = 61: exactly full.
    expect(() =>
      checkFormationRoom(
        [
          { type: 'web', quantity: 20 },
          { type: 'worker', quantity: 3 },
        ],
        limits,
      ),
    ).not.toThrow();
  });

  it('refuses one that does not fit with quota_exceeded, naming PLAT_NETWORK_BLOCK', () => {
    const error = refusal(() =>
      checkFormationRoom(
        [
          { type: 'web', quantity: 20 },
          { type: 'worker', quantity: 4 },
        ],
        limits,
      ),
    );
    expect(error).toBeInstanceOf(PlatError);
    expect(error).toMatchObject({ id: 'quota_exceeded', status: 403 });
    expect(error.message).toBe(
      "24 dynos do not fit this app's network: its /26 block (PLAT_NETWORK_BLOCK) holds 61 containers, and these " +
        'need 62 (web dynos twice during a rolling deploy, 18 kept for one-offs and add-ons): scale down another ' +
        'process type, or have the operator set a smaller PLAT_NETWORK_BLOCK prefix for new apps.',
    );
    // Only web dynos count twice: 43 workers fit where 22 web dynos do not.
    expect(() => checkFormationRoom([{ type: 'worker', quantity: 43 }], limits)).not.toThrow();
    expect(() => checkFormationRoom([{ type: 'web', quantity: 22 }], limits)).toThrow('22 dynos do not fit');
  });

  it('lets an app that outgrew its block scale down, but not up', () => {
    const small = { blockPrefix: 28, maxOneOffs: 1 };
    const current = [{ type: 'web', quantity: 4 }];
    expect(() => checkFormationRoom([{ type: 'web', quantity: 3 }], small, current)).not.toThrow();
    expect(() => checkFormationRoom([{ type: 'web', quantity: 4 }], small, current)).not.toThrow();
    expect(() => checkFormationRoom([{ type: 'web', quantity: 5 }], small, current)).toThrow(
      "5 dynos do not fit this app's network: its /28 block",
    );
  });
});
