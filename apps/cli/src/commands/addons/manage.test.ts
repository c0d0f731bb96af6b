import type { PlatClient } from '@plat/client';
import type { AddonInfo } from '@plat/core';
import { describe, expect, it } from 'vitest';
import type { CommandContext } from '../../context.js';
import type { Output } from '../../output.js';
import { addonInfo } from './manage.js';

const ADDON: AddonInfo = {
  name: 'postgres-calm-1234',
  provider: 'postgres',
  plan: 'hobby',
  config_var: 'DATABASE_URL',
  state: 'available',
  created_at: '2026-11-29T09:00:00.000Z',
};

async function info(addon: AddonInfo): Promise<string[]> {
  const out: string[] = [];
  const output: Output = { out: (line) => out.push(line), err: () => {}, isConsole: false };
  const client = { addons: { get: async () => addon } } as unknown as PlatClient;
  await addonInfo(addon.name, { app: 'shop' }, { cwd: '/', env: {}, output, client: () => client } as CommandContext);
  return out;
}

describe('plat addons:info', () => {
  it('names the swarm node the add-on runs on, when the API says one', async () => {
    const lines = await info({ ...ADDON, node: 'node-a' });
    expect(lines).toContain('Node:       node-a (swarm manager: the container and its data stay there)');
  });

  it('has no node line on one Docker Engine', async () => {
    expect((await info(ADDON)).some((line) => line.startsWith('Node:'))).toBe(false);
  });
});
