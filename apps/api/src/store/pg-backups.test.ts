/** Backup rows, numbered per app, on this machine's PostgreSQL server. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../testing/backends.js';
import { insertApp } from './apps.js';
import type { Database } from './database.js';
import { migrate } from './migrate.js';
import {
  addonBackups,
  deleteAddonBackups,
  deleteBackup,
  findBackup,
  insertBackup,
  listAppBackups,
} from './pg-backups.js';
import { ensureUser } from './users.js';

const server = backends.find((backend) => backend.name === 'PostgreSQL server')!;

describe('backup rows', () => {
  let database: Database;
  let dispose: () => Promise<void>;
  let shop: string;
  let blog: string;

  beforeAll(async () => {
    ({ database, dispose } = await server.open());
    await migrate(database.sql);
    const user = await ensureUser(database.sql, 'dba@example.com', false);
    shop = (await insertApp(database.sql, 'shop', user.id))!.id;
    blog = (await insertApp(database.sql, 'blog', user.id))!.id;
  });
  afterAll(async () => {
    await dispose?.();
  });

  const capture = (appId: string, addonName: string, file: string) =>
    insertBackup(database.sql, { appId, addonName, file, sizeBytes: 100 });

  it("numbers each app's backups b1, b2, … across its add-ons", async () => {
    expect(await capture(shop, 'postgres-a', '/b/1')).toMatchObject({
      number: 1,
      app_id: shop,
      addon_name: 'postgres-a',
      file: '/b/1',
    });
    expect((await capture(shop, 'postgres-b', '/b/2')).number).toBe(2);
    expect((await capture(blog, 'postgres-c', '/b/3')).number).toBe(1);
    expect((await capture(shop, 'postgres-a', '/b/4')).number).toBe(3);
    expect((await listAppBackups(database.sql, shop)).map((b) => b.number)).toEqual([3, 2, 1]);
    expect((await addonBackups(database.sql, shop, 'postgres-a')).map((b) => b.file).sort()).toEqual(['/b/1', '/b/4']);
    expect(await findBackup(database.sql, shop, 2)).toMatchObject({ addon_name: 'postgres-b', file: '/b/2' });
    expect(await findBackup(database.sql, blog, 2)).toBeUndefined();
  });

  it('deletes one backup, or all of one add-on, and nothing else', async () => {
    await deleteBackup(database.sql, (await findBackup(database.sql, shop, 1))!.id);
    expect((await listAppBackups(database.sql, shop)).map((b) => b.number)).toEqual([3, 2]);
    await deleteAddonBackups(database.sql, shop, 'postgres-a');
    expect((await listAppBackups(database.sql, shop)).map((b) => b.addon_name)).toEqual(['postgres-b']);
    expect(await listAppBackups(database.sql, blog)).toHaveLength(1);
  });
});
