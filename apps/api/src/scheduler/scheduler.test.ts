/**
 * The scheduler's tick against a real platform (its state server, Docker): a due
 * backup schedule captures a pg_dump of a real postgres add-on.
 */
import { existsSync, statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAddon } from '../services/addons.js';
import { createApp } from '../services/apps.js';
import { listBackups, scheduleBackups } from '../services/pg-backups.js';
import { findUserByToken } from '../store/users.js';
import { backends } from '../testing/backends.js';
import { startTestPlatform, type TestPlatform } from '../testing/platform.js';
import { Scheduler } from './scheduler.js';

describe('scheduled backups', () => {
  let t: TestPlatform;

  beforeAll(async () => {
    t = await startTestPlatform(backends[0]!);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('capture a backup when their hour comes', async () => {
    const admin = (await findUserByToken(t.platform.sql, t.adminToken))!;
    const app = await createApp(t.platform, admin, 'nightly');
    const addon = await createAddon(t.platform, app, admin, { spec: 'postgres' });
    await scheduleBackups(t.platform, app, admin, addon, 4);
    const failures: string[] = [];
    const scheduler = new Scheduler({ ...t.platform, log: (line) => failures.push(line) });
    await scheduler.tick(new Date());
    expect(await listBackups(t.platform, app)).toEqual([]);
    // The next 04:00 UTC, as seen from a day later: the job is due.
    await scheduler.tick(new Date(Date.now() + 24 * 3600_000));
    const deadline = Date.now() + 30_000;
    let backups = await listBackups(t.platform, app);
    while (backups.length === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      backups = await listBackups(t.platform, app);
    }
    expect(failures).toEqual([]);
    expect(backups.map((b) => b.addon_name)).toEqual([addon.name]);
    expect(existsSync(backups[0]!.file)).toBe(true);
    expect(statSync(backups[0]!.file).size).toBeGreaterThan(0);
    // Its check follows in the background: a scratch server restores it, then goes.
    const checkDeadline = Date.now() + 120_000;
    while (backups[0]!.verification_state === 'pending' && Date.now() < checkDeadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      backups = await listBackups(t.platform, app);
    }
    expect(backups[0]).toMatchObject({ verification_state: 'verified', verification: { tables: 0, rows: 0 } });
    expect(await t.platform.addons.scratchObjects()).toEqual({ containers: [], networks: [] });
  });
});
