import type { Sql } from './database.js';

/** An eco app whose web dynos may be put to sleep: awake, with web dynos to stop. */
export interface EcoApp {
  id: string;
  name: string;
  /** Its web formation's quantity: the dynos that sleep and wake together. */
  quantity: number;
}

/** When the app went to sleep; undefined while it is awake. */
export async function sleepingSince(sql: Sql, appId: string): Promise<Date | undefined> {
  const [row] = await sql<{ sleeping_since: Date | null }[]>`select sleeping_since from apps where id = ${appId}`;
  return row?.sleeping_since ?? undefined;
}

/**
 * Awake apps whose web process is eco-sized and scaled above 0: what the
 * sleep check looks at. One query, whatever the number of apps.
 */
export async function awakeEcoApps(sql: Sql): Promise<EcoApp[]> {
  return sql<EcoApp[]>`
    select apps.id, apps.name, formations.quantity from apps
    join formations on formations.app_id = apps.id and formations.type = 'web'
    where formations.size = 'eco' and formations.quantity > 0
      and apps.sleeping_since is null and not apps.destroying
    order by apps.name`;
}

/** Puts an awake eco app to sleep; false if it was asleep already or is no longer eco. */
export async function markSleeping(sql: Sql, appId: string, at: Date): Promise<boolean> {
  const rows = await sql`
    update apps set sleeping_since = ${at}
    where id = ${appId} and sleeping_since is null
      and exists (select 1 from formations f where f.app_id = apps.id and f.type = 'web' and f.size = 'eco')`;
  return rows.count === 1;
}

/** Wakes the app (in the state: its web dynos are wanted again); false if it was not asleep. */
export async function clearSleeping(sql: Sql, appId: string): Promise<boolean> {
  const rows = await sql`update apps set sleeping_since = null where id = ${appId} and sleeping_since is not null`;
  return rows.count === 1;
}
