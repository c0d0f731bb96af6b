import type { Sql } from './database.js';
import { type BlockPicker, reserveBlockIn } from './network-blocks.js';

export interface AppRow {
  id: string;
  name: string;
  owner_id: string;
  owner_email: string;
  stack: string;
  buildpack: string | null;
  maintenance: boolean;
  /** apps:destroy has begun: the app serves nothing and only a destroy may touch it. */
  destroying: boolean;
  /** app.json's readiness path for web dynos, when it gave one. */
  readiness_path: string | null;
  /** Labs features switched on (plat labs:enable). */
  features: string[];
  created_at: Date;
  updated_at: Date;
}

const columns = (sql: Sql) => sql`
  apps.id, apps.name, apps.owner_id, users.email as owner_email, apps.stack, apps.buildpack, apps.maintenance,
  apps.destroying, apps.readiness_path, apps.features, apps.created_at, apps.updated_at`;

/**
 * A new app with its web formation and, as on Heroku, release v1 "Initial
 * release": no image, no config, so the release list is the app's whole
 * config history from the start. One transaction: an app never lacks v1,
 * nor (given `network`) its network's block of PLAT_NETWORK_POOL.
 */
export async function insertApp(
  sql: Sql,
  name: string,
  ownerId: string,
  options: { network?: BlockPicker } = {},
): Promise<AppRow | undefined> {
  const id = await sql.begin(async (tx) => {
    const [inserted] = await tx<{ id: string }[]>`
      insert into apps (name, owner_id, release_seq) values (${name}, ${ownerId}, 1)
      on conflict (name) do nothing
      returning id`;
    if (!inserted) return undefined;
    // Its network's block too: a pool with none free leaves no app behind.
    if (options.network) await reserveBlockIn(tx, inserted.id, options.network);
    await tx`insert into formations (app_id, type, quantity) values (${inserted.id}, 'web', 1)`;
    await tx`
      insert into releases (app_id, version, description, status, image)
      values (${inserted.id}, 1, 'Initial release', 'succeeded', null)`;
    return inserted.id;
  });
  return id ? findApp(sql, name) : undefined;
}

export async function findApp(sql: Sql, name: string): Promise<AppRow | undefined> {
  const [row] = await sql<AppRow[]>`
    select ${columns(sql)} from apps join users on users.id = apps.owner_id where apps.name = ${name}`;
  return row;
}

/** Every app's id: what Docker objects named by id may still belong to. */
export async function appIds(sql: Sql): Promise<Set<string>> {
  return new Set((await sql<{ id: string }[]>`select id from apps`).map((row) => row.id));
}

export async function listAppNames(sql: Sql): Promise<string[]> {
  return (await sql<{ name: string }[]>`select name from apps order by name`).map((row) => row.name);
}

export async function configVars(sql: Sql, appId: string): Promise<Record<string, string>> {
  const rows = await sql<
    { key: string; value: string }[]
  >`select key, value from config_vars where app_id = ${appId} order by key`;
  return Object.fromEntries(rows.map((row) => [row.key, row.value]));
}

export interface FormationRow {
  type: string;
  quantity: number;
  size: string;
  generation: number;
}

export async function formation(sql: Sql, appId: string): Promise<FormationRow[]> {
  return sql<
    FormationRow[]
  >`select type, quantity, size, generation from formations where app_id = ${appId} order by type`;
}

export async function findAppById(sql: Sql, id: string): Promise<AppRow | undefined> {
  const [row] = await sql<AppRow[]>`
    select ${columns(sql)} from apps join users on users.id = apps.owner_id where apps.id = ${id}`;
  return row;
}

/** Apps the user owns or collaborates on (all of them for admins). */
export async function listAppsFor(sql: Sql, user: { id: string; admin: boolean }): Promise<AppRow[]> {
  return sql<AppRow[]>`
    select ${columns(sql)} from apps join users on users.id = apps.owner_id
    where ${user.admin}
       or apps.owner_id = ${user.id}
       or exists (select 1 from collaborators c where c.app_id = apps.id and c.user_id = ${user.id})
    order by apps.name`;
}

/** One page of listAppsFor, keyset by name: `apps_name_key` serves it, so a page costs the same at any app count. */
export interface AppsPage {
  /** The page starts at this name (after it, when exclusive), in the page's order. */
  start?: { value: string; exclusive: boolean };
  /** The page ends at this name (before it, when exclusive). */
  end?: { value: string; exclusive: boolean };
  order: 'asc' | 'desc';
  max: number;
}

/** Up to `page.max` of the apps listAppsFor gives, and whether more follow. */
export async function listAppsPageFor(
  sql: Sql,
  user: { id: string; admin: boolean },
  page: AppsPage,
): Promise<{ apps: AppRow[]; more: boolean }> {
  const desc = page.order === 'desc';
  // "After" the start is greater in ascending order, smaller in descending order; the end likewise.
  const bound = (edge: { value: string; exclusive: boolean } | undefined, after: boolean) => {
    if (!edge) return sql``;
    if (after) return edge.exclusive ? sql`and apps.name > ${edge.value}` : sql`and apps.name >= ${edge.value}`;
    return edge.exclusive ? sql`and apps.name < ${edge.value}` : sql`and apps.name <= ${edge.value}`;
  };
  const rows = await sql<AppRow[]>`
    select ${columns(sql)} from apps join users on users.id = apps.owner_id
    where (${user.admin}
       or apps.owner_id = ${user.id}
       or exists (select 1 from collaborators c where c.app_id = apps.id and c.user_id = ${user.id}))
      ${bound(page.start, !desc)} ${bound(page.end, desc)}
    order by apps.name ${desc ? sql`desc` : sql`asc`}
    limit ${page.max + 1}`;
  return { apps: rows.slice(0, page.max), more: rows.length > page.max };
}

export async function renameApp(sql: Sql, id: string, name: string): Promise<boolean> {
  const rows = await sql`
    update apps set name = ${name}, updated_at = now()
    where id = ${id} and not exists (select 1 from apps where name = ${name})`;
  return rows.count === 1;
}

export async function setMaintenance(sql: Sql, id: string, maintenance: boolean): Promise<void> {
  await sql`update apps set maintenance = ${maintenance}, updated_at = now() where id = ${id}`;
}

export async function setBuildpack(sql: Sql, id: string, buildpack: string | null): Promise<void> {
  await sql`update apps set buildpack = ${buildpack}, updated_at = now() where id = ${id}`;
}

export async function markDestroying(sql: Sql, id: string): Promise<void> {
  await sql`update apps set destroying = true, updated_at = now() where id = ${id}`;
}

/** Apps whose destroy was cut short (a crash or an error mid-way). */
export async function listDestroying(sql: Sql): Promise<AppRow[]> {
  return sql<
    AppRow[]
  >`select ${columns(sql)} from apps join users on users.id = apps.owner_id where apps.destroying order by apps.name`;
}

export async function deleteApp(sql: Sql, id: string): Promise<void> {
  await sql`delete from apps where id = ${id}`;
}

/** Applies a change set to config vars (null unsets) and returns the result. */
export async function updateConfigVars(
  sql: Sql,
  appId: string,
  changes: Record<string, string | null>,
): Promise<Record<string, string>> {
  await sql.begin(async (tx) => {
    for (const [key, value] of Object.entries(changes)) {
      if (value === null) await tx`delete from config_vars where app_id = ${appId} and key = ${key}`;
      else {
        await tx`
          insert into config_vars (app_id, key, value) values (${appId}, ${key}, ${value})
          on conflict (app_id, key) do update set value = excluded.value`;
      }
    }
  });
  return configVars(sql, appId);
}

/** The app's config vars become exactly `config` (a rollback's), in one transaction. */
export async function replaceConfigVars(sql: Sql, appId: string, config: Record<string, string>): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`delete from config_vars where app_id = ${appId}`;
    for (const [key, value] of Object.entries(config)) {
      await tx`insert into config_vars (app_id, key, value) values (${appId}, ${key}, ${value})`;
    }
  });
}

export async function upsertFormation(
  sql: Sql,
  appId: string,
  update: { type: string; quantity?: number; size?: string },
): Promise<void> {
  const quantity = update.quantity ?? (update.type === 'web' ? 1 : 0);
  await sql`
    insert into formations (app_id, type, quantity, size)
    values (${appId}, ${update.type}, ${quantity}, ${update.size ?? 'standard'})
    on conflict (app_id, type) do update set
      quantity = coalesce(${update.quantity ?? null}::int, formations.quantity),
      size = coalesce(${update.size ?? null}::text, formations.size)`;
}

/** Bumps the restart generation of some or all process types. */
export async function bumpGeneration(sql: Sql, appId: string, types: string[] | 'all'): Promise<void> {
  if (types === 'all') await sql`update formations set generation = generation + 1 where app_id = ${appId}`;
  else {
    for (const type of types) {
      const quantity = type === 'web' ? 1 : 0;
      await sql`
        insert into formations (app_id, type, quantity, generation) values (${appId}, ${type}, ${quantity}, 1)
        on conflict (app_id, type) do update set generation = formations.generation + 1`;
    }
  }
}
