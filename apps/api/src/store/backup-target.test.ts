/** The backup target and each backup's upload state, on this machine's PostgreSQL server. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../testing/backends.js';
import { insertApp } from './apps.js';
import {
  deferDueUploads,
  deleteBackupTarget,
  findBackupTarget,
  findUploadRow,
  markExpired,
  markUploaded,
  markUploadFailed,
  nextDueUpload,
  queueUnsent,
  queueUpload,
  replaceBackupTarget,
  uploadTotals,
} from './backup-target.js';
import type { Database } from './database.js';
import { migrate } from './migrate.js';
import { insertBackup, setVerification } from './pg-backups.js';
import { ensureUser } from './users.js';

const server = backends.find((backend) => backend.name === 'PostgreSQL server')!;
const TARGET = { url: 'sftp:backup@vault:/srv/plat', password: 'pw', keepDaily: 7, keepWeekly: 4, keepMonthly: 0 };

describe('backup target rows', () => {
  let database: Database;
  let dispose: () => Promise<void>;
  let shop: string;

  beforeAll(async () => {
    ({ database, dispose } = await server.open());
    await migrate(database.sql);
    const user = await ensureUser(database.sql, 'ops@example.com', true);
    shop = (await insertApp(database.sql, 'shop', user.id))!.id;
  });
  afterAll(async () => {
    await dispose?.();
  });

  const capture = async (verified: boolean) => {
    const row = await insertBackup(database.sql, { appId: shop, addonName: 'pg-a', file: '/b', sizeBytes: 1 });
    if (verified) await setVerification(database.sql, row.id, 'verified', null);
    return row;
  };

  it('queues every verified backup when a target is set, and keeps one target per Plat', async () => {
    const good = await capture(true);
    const unchecked = await capture(false);
    const target = await replaceBackupTarget(database.sql, TARGET);
    expect((await findUploadRow(database.sql, good.id))!.upload_state).toBe('pending');
    expect((await findUploadRow(database.sql, unchecked.id))!.upload_state).toBeNull();
    expect((await nextDueUpload(database.sql, target.id))!.id).toBe(good.id);
    // The same repository with another retention keeps its id: nothing is queued again.
    await markUploaded(database.sql, good.id, target.id, 'ab12cd34');
    const again = await replaceBackupTarget(database.sql, { ...TARGET, keepDaily: 3 });
    expect(again.id).toBe(target.id);
    expect((await findBackupTarget(database.sql))!.keep_daily).toBe(3);
    expect((await findUploadRow(database.sql, good.id))!.upload_state).toBe('uploaded');
    expect(await nextDueUpload(database.sql, target.id)).toBeUndefined();
    // The check's hook queues the other one once it passes.
    await setVerification(database.sql, unchecked.id, 'verified', null);
    await queueUpload(database.sql, unchecked.id, target.id);
    expect((await nextDueUpload(database.sql, target.id))!.id).toBe(unchecked.id);
  });

  it('fails an upload with its reason, defers the others with it, and retries them all on demand', async () => {
    const target = (await findBackupTarget(database.sql))!;
    const other = await capture(true);
    await queueUpload(database.sql, other.id, target.id);
    const first = (await nextDueUpload(database.sql, target.id))!;
    const nextAt = new Date(Date.now() + 60_000);
    await markUploadFailed(database.sql, first.id, {
      targetId: target.id,
      reason: 'the target is unreachable',
      nextAt,
    });
    await deferDueUploads(database.sql, target.id, { reason: 'the target is unreachable', nextAt });
    expect(await nextDueUpload(database.sql, target.id)).toBeUndefined();
    expect(await uploadTotals(database.sql, target.id)).toMatchObject({
      uploaded: 1,
      failed: 2,
      pending: 0,
      last_failure: { app: 'shop', reason: 'the target is unreachable' },
    });
    expect((await findUploadRow(database.sql, first.id))!.upload_attempts).toBe(1);
    expect(await queueUnsent(database.sql, target.id)).toBe(2);
    expect(await nextDueUpload(database.sql, target.id)).toBeDefined();
  });

  it('marks what retention removed, and forgets pending uploads with the target', async () => {
    const target = (await findBackupTarget(database.sql))!;
    const [uploaded] = await database.sql<{ id: string }[]>`select id from pg_backups where upload_state = 'uploaded'`;
    await markExpired(database.sql, target.id, ['ab12cd34']);
    expect((await findUploadRow(database.sql, uploaded!.id))!.upload_state).toBe('expired');
    expect((await uploadTotals(database.sql, target.id)).expired).toBe(1);
    expect((await deleteBackupTarget(database.sql))!.url).toBe(TARGET.url);
    expect(await findBackupTarget(database.sql)).toBeUndefined();
    const states = await database.sql<{ upload_state: string | null }[]>`select upload_state from pg_backups`;
    expect(states.map((row) => row.upload_state).sort()).toEqual(['expired', null, null]);
  });
});
