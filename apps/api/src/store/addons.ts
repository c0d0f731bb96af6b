import type { TransactionSql } from 'postgres';
import type { Sql } from './database.js';

export type AddonState = 'provisioning' | 'active' | 'destroying';

export interface AddonRow {
  id: string;
  app_id: string;
  name: string;
  provider: string;
  plan: string;
  attachment: string;
  credentials: Record<string, string>;
  state: AddonState;
  /** Made before Docker objects were named by the row's id. */
  legacy_names: boolean;
  created_at: Date;
}

export async function listAddons(sql: Sql, appId: string): Promise<AddonRow[]> {
  return sql<AddonRow[]>`select * from addons where app_id = ${appId} order by created_at`;
}

export async function findAddon(sql: Sql, appId: string, name: string): Promise<AddonRow | undefined> {
  const [row] = await sql<AddonRow[]>`select * from addons where app_id = ${appId} and name = ${name}`;
  return row;
}

export async function attachmentTaken(sql: Sql, appId: string, attachment: string): Promise<boolean> {
  const [row] = await sql`select 1 from addons where app_id = ${appId} and attachment = ${attachment}`;
  return row !== undefined;
}

/** Add-ons a platd stopped in the middle of making or destroying. */
export async function unsettledAddons(sql: Sql): Promise<AddonRow[]> {
  return sql<AddonRow[]>`select * from addons where state <> 'active' order by created_at`;
}

export async function allAddons(sql: Sql): Promise<AddonRow[]> {
  return sql<AddonRow[]>`select * from addons order by created_at`;
}

/**
 * Reserves the add-on's name and the app's attachment, before anything
 * exists in Docker. Resolves undefined when the name is taken (pick another);
 * rejects with the database's unique violation when the attachment is.
 */
export async function reserveAddon(
  sql: Sql,
  addon: Pick<AddonRow, 'app_id' | 'name' | 'provider' | 'plan' | 'attachment' | 'credentials' | 'state'>,
): Promise<AddonRow | undefined> {
  try {
    const [row] = await sql<AddonRow[]>`
      insert into addons (app_id, name, provider, plan, attachment, credentials, state)
      values (${addon.app_id}, ${addon.name}, ${addon.provider}, ${addon.plan}, ${addon.attachment},
        ${sql.json(addon.credentials)}, ${addon.state})
      returning *`;
    return row!;
  } catch (error) {
    if (uniqueViolation(error) === 'addons_name_key') return undefined;
    throw error;
  }
}

/** The unique constraint an insert broke, if that is why it failed. */
export function uniqueViolation(error: unknown): string | undefined {
  const { code, constraint_name: constraint } = error as { code?: string; constraint_name?: string };
  return code === '23505' ? (constraint ?? '') : undefined;
}

/** Moves the add-on from one state to another; false when it was not in `from` (or is gone). */
export async function moveAddon(
  sql: Sql | TransactionSql,
  move: { id: string; from: AddonState; to: AddonState },
): Promise<boolean> {
  const rows = await sql`update addons set state = ${move.to} where id = ${move.id} and state = ${move.from}`;
  return rows.count === 1;
}

/**
 * A provisioned add-on turns active and sets its config var (and any others
 * it gives, as REDIS_TLS_URL) on the app, in one transaction; false (and
 * nothing set) when its row is no longer 'provisioning' (the app went
 * meanwhile).
 */
export async function activateAddon(
  sql: Sql,
  addon: { id: string; appId: string; configVar: string; url: string; more?: Record<string, string> },
): Promise<boolean> {
  return sql.begin(async (tx) => {
    if (!(await moveAddon(tx, { id: addon.id, from: 'provisioning', to: 'active' }))) return false;
    for (const [key, value] of Object.entries({ ...addon.more, [addon.configVar]: addon.url })) {
      await tx`
        insert into config_vars (app_id, key, value) values (${addon.appId}, ${key}, ${value})
        on conflict (app_id, key) do update set value = excluded.value`;
    }
    return true;
  }) as Promise<boolean>;
}

/**
 * The first step of a destroy, in one transaction: an active add-on turns
 * 'destroying' (one already destroying stays so, to be finished) and its
 * config vars, if it has any, are unset. False when another destroy moved it
 * first.
 */
export async function beginAddonDestroy(
  sql: Sql,
  addon: { id: string; appId: string; state: AddonState; configVar?: string; moreVars?: string[] },
): Promise<boolean> {
  return sql.begin(async (tx) => {
    const moved = addon.state !== 'active' || (await moveAddon(tx, { id: addon.id, from: 'active', to: 'destroying' }));
    if (!moved) return false;
    for (const key of addon.configVar === undefined ? [] : [addon.configVar, ...(addon.moreVars ?? [])]) {
      await tx`delete from config_vars where app_id = ${addon.appId} and key = ${key}`;
    }
    return true;
  }) as Promise<boolean>;
}

/** With the app: every add-on it has is being destroyed. */
export async function markAppAddonsDestroying(sql: Sql, appId: string): Promise<void> {
  await sql`update addons set state = 'destroying' where app_id = ${appId}`;
}

export async function deleteAddon(sql: Sql, id: string): Promise<void> {
  await sql`delete from addons where id = ${id}`;
}
