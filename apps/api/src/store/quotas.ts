import type { Sql } from './database.js';

/** Apps the user owns (collaborations do not count against their quota). */
export async function countOwnedApps(sql: Sql, userId: string): Promise<number> {
  const [row] = await sql<{ count: number }[]>`select count(*)::int as count from apps where owner_id = ${userId}`;
  return row?.count ?? 0;
}

export async function countCommandJobs(sql: Sql, appId: string): Promise<number> {
  const [row] = await sql<
    { count: number }[]
  >`select count(*)::int as count from scheduler_jobs where app_id = ${appId} and kind = 'command'`;
  return row?.count ?? 0;
}
