/** Scheduler jobs and backup schedules, on this machine's PostgreSQL server. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../testing/backends.js';
import { insertApp } from './apps.js';
import type { Database } from './database.js';
import { migrate } from './migrate.js';
import {
  claimRun,
  deleteBackupSchedule,
  deleteJob,
  deleteJobs,
  dueJobs,
  finishRun,
  insertJob,
  listCommandJobs,
  listJobs,
  nextDueAt,
  onJobsChanged,
  replaceBackupSchedule,
  resetRunning,
} from './scheduler-jobs.js';
import { ensureUser } from './users.js';

const server = backends.find((backend) => backend.name === 'PostgreSQL server')!;
const at = (iso: string) => new Date(iso);

describe('scheduler jobs', () => {
  let database: Database;
  let dispose: () => Promise<void>;
  let appId: string;

  beforeAll(async () => {
    ({ database, dispose } = await server.open());
    await migrate(database.sql);
    const user = await ensureUser(database.sql, 'cron@example.com', false);
    appId = (await insertApp(database.sql, 'cron', user.id))!.id;
  });
  afterAll(async () => {
    await dispose?.();
  });

  const addCommand = (command: string, schedule: string, next: string) =>
    insertJob(database.sql, { appId, schedule, command, nextRunAt: at(next) });
  const scheduleBackup = (addonName: string, schedule: string, next: string) =>
    replaceBackupSchedule(database.sql, { appId, addonName, schedule, nextRunAt: at(next) });

  it('keeps one backup schedule per add-on, apart from command jobs', async () => {
    const command = await addCommand('echo', '0 * * * *', '2030-01-01T01:00:00Z');
    await scheduleBackup('postgres-a-1001', '0 3 * * *', '2030-01-01T03:00:00Z');
    const replaced = await scheduleBackup('postgres-a-1001', '0 4 * * *', '2030-01-01T04:00:00Z');
    await scheduleBackup('postgres-b-1002', '0 5 * * *', '2030-01-01T05:00:00Z');
    expect(replaced).toMatchObject({ kind: 'pg_backup', command: 'postgres-a-1001', schedule: '0 4 * * *' });
    const backups = (await listJobs(database.sql, appId)).filter((job) => job.kind === 'pg_backup');
    expect(backups.map((job) => [job.command, job.schedule])).toEqual([
      ['postgres-a-1001', '0 4 * * *'],
      ['postgres-b-1002', '0 5 * * *'],
    ]);
    expect((await listCommandJobs(database.sql, appId)).map((job) => job.id)).toEqual([command.id]);

    await deleteBackupSchedule(database.sql, appId, 'postgres-a-1001');
    await deleteJobs(database.sql, appId);
    expect((await listJobs(database.sql, appId)).map((job) => job.command)).toEqual(['postgres-b-1002']);
    await deleteBackupSchedule(database.sql, appId, 'postgres-b-1002');
  });

  it('deletes a command job by id only, never a backup schedule', async () => {
    const job = await addCommand('echo', '0 * * * *', '2030-01-01T01:00:00Z');
    const backup = await scheduleBackup('pg', '0 1 * * *', '2030-01-01T01:00:00Z');
    expect(await deleteJob(database.sql, appId, 'not-an-id')).toBe(false);
    expect(await deleteJob(database.sql, appId, backup.id)).toBe(false);
    expect(await deleteJob(database.sql, appId, job.id)).toBe(true);
    expect(await deleteJob(database.sql, appId, job.id)).toBe(false);
    await deleteBackupSchedule(database.sql, appId, 'pg');
  });

  it('runs a due job once at a time, and frees every job after a restart', async () => {
    const job = await addCommand('tick', '* * * * *', '2030-01-01T00:00:00Z');
    expect(await dueJobs(database.sql, at('2029-12-31T23:59:00Z'))).toEqual([]);
    expect(await dueJobs(database.sql, at('2030-01-01T00:00:00Z'))).toMatchObject([{ id: job.id, app_name: 'cron' }]);
    expect(await claimRun(database.sql, job.id, at('2030-01-01T00:01:00Z'))).toBe(true);
    // Still running: the next time comes, the job moves on, but does not run twice.
    expect(await claimRun(database.sql, job.id, at('2030-01-01T00:02:00Z'))).toBe(false);
    await finishRun(database.sql, job.id, 3);
    expect((await listJobs(database.sql, appId))[0]).toMatchObject({
      running: false,
      last_exit_code: 3,
      next_run_at: at('2030-01-01T00:02:00Z'),
    });
    expect(await claimRun(database.sql, job.id, at('2030-01-01T00:03:00Z'))).toBe(true);
    await resetRunning(database.sql);
    expect((await listJobs(database.sql, appId))[0]).toMatchObject({ running: false });
  });

  it('says when the earliest job comes due, running or not, and tells of new ones', async () => {
    await database.sql`delete from scheduler_jobs`;
    expect(await nextDueAt(database.sql)).toBeUndefined();
    let changes = 0;
    const stopListening = onJobsChanged(() => changes++);
    const late = await addCommand('late', '0 * * * *', '2030-01-01T05:00:00Z');
    await scheduleBackup('pg', '0 4 * * *', '2030-01-01T04:00:00Z');
    const early = await addCommand('early', '* * * * *', '2030-01-01T03:00:00Z');
    expect(changes).toBe(3);
    expect(await nextDueAt(database.sql)).toEqual(at('2030-01-01T03:00:00Z'));
    // A run still going stays counted: its time coming is when the scheduler skips it and says so.
    expect(await claimRun(database.sql, early.id, at('2030-01-01T03:30:00Z'))).toBe(true);
    expect(await nextDueAt(database.sql)).toEqual(at('2030-01-01T03:30:00Z'));
    stopListening();
    await deleteJob(database.sql, appId, early.id);
    await deleteJob(database.sql, appId, late.id);
    await addCommand('unheard', '0 * * * *', '2030-01-01T06:00:00Z');
    expect(changes).toBe(3);
    expect(await nextDueAt(database.sql)).toEqual(at('2030-01-01T04:00:00Z'));
    await deleteJobs(database.sql, appId);
    await deleteBackupSchedule(database.sql, appId, 'pg');
  });
});
