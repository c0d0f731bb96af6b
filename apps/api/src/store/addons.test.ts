/**
 * Add-on names and attachments are reserved by the database, so requests
 * racing for them cannot both get one (on this machine's PostgreSQL server).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../testing/backends.js';
import { configVars, insertApp } from './apps.js';
import {
  activateAddon,
  beginAddonDestroy,
  findAddon,
  listAddons,
  markAppAddonsDestroying,
  moveAddon,
  reserveAddon,
  uniqueViolation,
} from './addons.js';
import type { Database } from './database.js';
import { migrate } from './migrate.js';
import { ensureUser } from './users.js';

const server = backends.find((backend) => backend.name === 'PostgreSQL server')!;

describe('add-on reservations', () => {
  let database: Database;
  let dispose: () => Promise<void>;
  let appIds: string[];

  beforeAll(async () => {
    ({ database, dispose } = await server.open());
    await migrate(database.sql);
    const user = await ensureUser(database.sql, 'owner@example.com', false);
    appIds = [(await insertApp(database.sql, 'one', user.id))!.id, (await insertApp(database.sql, 'two', user.id))!.id];
  });
  afterAll(async () => {
    await dispose?.();
  });

  const entry = (appId: string, name: string, attachment: string) =>
    ({
      app_id: appId,
      name,
      provider: 'redis',
      plan: 'mini',
      attachment,
      credentials: { password: 'p' },
      state: 'provisioning',
    }) as const;

  it('gives one of two racing requests the attachment, and the other a unique violation', async () => {
    const results = await Promise.allSettled([
      reserveAddon(database.sql, entry(appIds[0]!, 'redis-a-1001', 'CACHE')),
      reserveAddon(database.sql, entry(appIds[0]!, 'redis-b-1002', 'CACHE')),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(uniqueViolation(rejected.reason)).toBe('addons_app_id_attachment_key');
  });

  it('lets two apps attach under the same name, each its own row', async () => {
    const other = await reserveAddon(database.sql, entry(appIds[1]!, 'redis-c-1003', 'CACHE'));
    expect(other).toMatchObject({ app_id: appIds[1], attachment: 'CACHE', state: 'provisioning', legacy_names: false });
  });

  it('says a taken name is taken instead of sharing it', async () => {
    expect(await reserveAddon(database.sql, entry(appIds[1]!, 'redis-a-1001', 'OTHER'))).toBeUndefined();
  });

  it('moves a row only from the state it is in', async () => {
    const row = (await reserveAddon(database.sql, entry(appIds[1]!, 'redis-d-1004', 'QUEUE')))!;
    expect(await moveAddon(database.sql, { id: row.id, from: 'active', to: 'destroying' })).toBe(false);
    expect(await moveAddon(database.sql, { id: row.id, from: 'provisioning', to: 'active' })).toBe(true);
    expect(await moveAddon(database.sql, { id: row.id, from: 'provisioning', to: 'active' })).toBe(false);
  });

  it('activates a provisioned add-on and sets its config var together, once', async () => {
    const row = (await reserveAddon(database.sql, entry(appIds[1]!, 'redis-e-1005', 'STORE')))!;
    const activation = { id: row.id, appId: appIds[1]!, configVar: 'STORE_URL', url: 'redis://one' };
    expect(await activateAddon(database.sql, activation)).toBe(true);
    expect(await findAddon(database.sql, appIds[1]!, 'redis-e-1005')).toMatchObject({ state: 'active' });
    expect((await configVars(database.sql, appIds[1]!)).STORE_URL).toBe('redis://one');
    // No longer provisioning: nothing changes, the var included.
    expect(await activateAddon(database.sql, { ...activation, url: 'redis://two' })).toBe(false);
    expect((await configVars(database.sql, appIds[1]!)).STORE_URL).toBe('redis://one');
  });

  it('begins a destroy once: destroying, its var unset; a second destroy of an active row is refused', async () => {
    const row = (await reserveAddon(database.sql, entry(appIds[1]!, 'redis-f-1006', 'SPARE')))!;
    await activateAddon(database.sql, { id: row.id, appId: appIds[1]!, configVar: 'SPARE_URL', url: 'redis://spare' });
    const destroy = { id: row.id, appId: appIds[1]!, state: 'active', configVar: 'SPARE_URL' } as const;
    expect(await beginAddonDestroy(database.sql, destroy)).toBe(true);
    expect(await findAddon(database.sql, appIds[1]!, 'redis-f-1006')).toMatchObject({ state: 'destroying' });
    expect(await configVars(database.sql, appIds[1]!)).not.toHaveProperty('SPARE_URL');
    expect(await beginAddonDestroy(database.sql, destroy)).toBe(false);
    // A destroy cut short is finished by the next one.
    expect(await beginAddonDestroy(database.sql, { ...destroy, state: 'destroying' })).toBe(true);
  });

  it('sets and unsets the further vars an add-on gives (REDIS_TLS_URL) with its own', async () => {
    const row = (await reserveAddon(database.sql, entry(appIds[1]!, 'redis-g-1007', 'TLSY')))!;
    const more = { TLSY_TLS_URL: 'rediss://tlsy' };
    await activateAddon(database.sql, {
      id: row.id,
      appId: appIds[1]!,
      configVar: 'TLSY_URL',
      url: 'redis://tlsy',
      more,
    });
    expect(await configVars(database.sql, appIds[1]!)).toMatchObject({
      TLSY_URL: 'redis://tlsy',
      TLSY_TLS_URL: 'rediss://tlsy',
    });
    const destroy = { id: row.id, appId: appIds[1]!, state: 'active', configVar: 'TLSY_URL' } as const;
    expect(await beginAddonDestroy(database.sql, { ...destroy, moreVars: ['TLSY_TLS_URL'] })).toBe(true);
    const left = await configVars(database.sql, appIds[1]!);
    expect(left).not.toHaveProperty('TLSY_URL');
    expect(left).not.toHaveProperty('TLSY_TLS_URL');
  });

  it("marks all of an app's add-ons destroying, and no other app's", async () => {
    await markAppAddonsDestroying(database.sql, appIds[0]!);
    expect((await listAddons(database.sql, appIds[0]!)).map((addon) => addon.state)).toEqual(['destroying']);
    expect((await listAddons(database.sql, appIds[1]!)).map((addon) => addon.state)).toContain('active');
  });
});
