import type { Sql } from './database.js';

/**
 * Told when a job is added or rescheduled, so a scheduler asleep until the
 * old earliest time looks again. In this process only: another platd's
 * changes are seen at the latest when its capped sleep ends.
 */
const changeListeners = new Set<() => void>();

/** Calls `listener` after each change that can bring the next due time forward; returns its removal. */
export function onJobsChanged(listener: () => void): () => void {
  changeListeners.add(listener);
  return () => changeListeners.delete(listener);
}

// After the statement (and its transaction) ended: a listener that looks
// then sees the row. (insertJob inside a caller's transaction would tell
// before its commit: the job then waits for the capped sleep.) Deletions and finished runs only move the next due
// time later, which a sleeping scheduler meets as an early, empty wake.
function jobsChanged(): void {
  for (const listener of changeListeners) listener();
}

export interface JobRow {
  id: string;
  app_id: string;
  schedule: string;
  command: string;
  next_run_at: Date;
  running: boolean;
  last_run_at: Date | null;
  last_exit_code: number | null;
  /** `command` runs in a one-off dyno; `pg_backup` captures a backup of the add-on named in command. */
  kind: 'command' | 'pg_backup';
  created_at: Date;
}

export async function listJobs(sql: Sql, appId: string): Promise<JobRow[]> {
  return sql<JobRow[]>`select * from scheduler_jobs where app_id = ${appId} order by created_at`;
}

export async function listCommandJobs(sql: Sql, appId: string): Promise<JobRow[]> {
  return sql<JobRow[]>`select * from scheduler_jobs where app_id = ${appId} and kind = 'command' order by created_at`;
}

export async function insertJob(
  sql: Sql,
  job: { appId: string; schedule: string; command: string; nextRunAt: Date; kind?: JobRow['kind'] },
): Promise<JobRow> {
  const [row] = await sql<JobRow[]>`
    insert into scheduler_jobs (app_id, schedule, command, next_run_at, kind)
    values (${job.appId}, ${job.schedule}, ${job.command}, ${job.nextRunAt}, ${job.kind ?? 'command'}) returning *`;
  jobsChanged();
  return row!;
}

export async function deleteJob(sql: Sql, appId: string, id: string): Promise<boolean> {
  if (!/^[0-9a-f-]{36}$/.test(id)) return false;
  const deleted = await sql`delete from scheduler_jobs where app_id = ${appId} and id = ${id} and kind = 'command'`;
  return deleted.count === 1;
}

/** The scheduler add-on's jobs, when it is destroyed (backup schedules stay). */
export async function deleteJobs(sql: Sql, appId: string): Promise<void> {
  await sql`delete from scheduler_jobs where app_id = ${appId} and kind = 'command'`;
}

/** Jobs whose time has come, with their app's name. */
export async function dueJobs(sql: Sql, now: Date): Promise<(JobRow & { app_name: string })[]> {
  return sql<(JobRow & { app_name: string })[]>`
    select scheduler_jobs.*, apps.name as app_name from scheduler_jobs join apps on apps.id = scheduler_jobs.app_id
    where next_run_at <= ${now} order by next_run_at`;
}

/** When the earliest job comes due, running or not (as dueJobs takes them); undefined with none. */
export async function nextDueAt(sql: Sql): Promise<Date | undefined> {
  // Every job has its app (on delete cascade): no join, and the index on next_run_at answers.
  const [row] = await sql<{ at: Date | null }[]>`select min(next_run_at) as at from scheduler_jobs`;
  return row?.at ?? undefined;
}

/** Moves the job to its next time; returns whether it was free to run (and is now marked running). */
export async function claimRun(sql: Sql, id: string, next: Date): Promise<boolean> {
  const [row] = await sql<{ running: boolean }[]>`
    update scheduler_jobs set next_run_at = ${next},
      running = true, last_run_at = case when running then last_run_at else now() end
    where id = ${id}
    returning (select running from scheduler_jobs where id = ${id}) as running`;
  return row !== undefined && !row.running;
}

export async function finishRun(sql: Sql, id: string, exitCode: number): Promise<void> {
  await sql`update scheduler_jobs set running = false, last_exit_code = ${exitCode} where id = ${id}`;
}

/** After a platd restart nothing of the old runs is being watched: let the jobs run again. */
export async function resetRunning(sql: Sql): Promise<void> {
  await sql`update scheduler_jobs set running = false where running`;
}

/** The add-on's daily backup schedule, in place of the one it had (if any). */
export async function replaceBackupSchedule(
  sql: Sql,
  job: { appId: string; addonName: string; schedule: string; nextRunAt: Date },
): Promise<JobRow> {
  const replaced = (await sql.begin(async (tx) => {
    await tx`
      delete from scheduler_jobs where app_id = ${job.appId} and kind = 'pg_backup' and command = ${job.addonName}`;
    const [row] = await tx<JobRow[]>`
      insert into scheduler_jobs (app_id, schedule, command, next_run_at, kind)
      values (${job.appId}, ${job.schedule}, ${job.addonName}, ${job.nextRunAt}, 'pg_backup') returning *`;
    return row!;
  })) as JobRow;
  jobsChanged();
  return replaced;
}

/** With the add-on: its backup schedule. */
export async function deleteBackupSchedule(sql: Sql, appId: string, addonName: string): Promise<void> {
  await sql`delete from scheduler_jobs where app_id = ${appId} and kind = 'pg_backup' and command = ${addonName}`;
}
