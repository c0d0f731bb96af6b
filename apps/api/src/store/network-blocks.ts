import type { TransactionSql } from 'postgres';
import type { Sql } from './database.js';

/**
 * Chooses an app's block given the blocks other apps hold (CIDR text); it
 * throws when none is free, which rolls the reservation back.
 */
export type BlockPicker = (taken: string[]) => string;

// Any fixed number: reservations by one platd queue, so two never see the same block free.
const BLOCKS_LOCK = 74_612_020;

/** The app's recorded block (CIDR text), if it has one. */
export async function blockOf(sql: Sql, appId: string): Promise<string | undefined> {
  const [row] = await sql<{ subnet: string }[]>`select subnet::text from network_blocks where app_id = ${appId}`;
  return row?.subnet;
}

/** Every recorded block with its app's id. */
export async function listBlocks(sql: Sql): Promise<{ subnet: string; app_id: string }[]> {
  return sql<{ subnet: string; app_id: string }[]>`select subnet::text, app_id from network_blocks order by subnet`;
}

/** The app's block, reserved from `pick` when it has none yet (an app from before blocks); undefined: no such app. */
export async function reserveBlock(sql: Sql, appId: string, pick: BlockPicker): Promise<string | undefined> {
  return sql.begin(async (tx) => {
    const [app] = await tx`select id from apps where id = ${appId} for key share`;
    return app ? reserveBlockIn(tx, appId, pick) : undefined;
  });
}

/** reserveBlock inside a transaction: the one that makes the app (insertApp). */
export async function reserveBlockIn(tx: TransactionSql, appId: string, pick: BlockPicker): Promise<string> {
  await tx`select pg_advisory_xact_lock(${BLOCKS_LOCK})`;
  const [own] = await tx<{ subnet: string }[]>`select subnet::text from network_blocks where app_id = ${appId}`;
  if (own) return own.subnet;
  const subnet = pick(await takenBlocks(tx, appId));
  await tx`insert into network_blocks (subnet, app_id) values (${subnet}, ${appId})`;
  return subnet;
}

/** Gives the app another block from `pick` (Docker refused its own: another platd uses it). */
export async function moveBlock(sql: Sql, appId: string, pick: BlockPicker): Promise<string> {
  return sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(${BLOCKS_LOCK})`;
    const subnet = pick(await takenBlocks(tx, appId));
    await tx`
      insert into network_blocks (subnet, app_id) values (${subnet}, ${appId})
      on conflict (app_id) do update set subnet = excluded.subnet, created_at = now()`;
    return subnet;
  });
}

async function takenBlocks(tx: TransactionSql, appId: string): Promise<string[]> {
  const rows = await tx<{ subnet: string }[]>`select subnet::text from network_blocks where app_id <> ${appId}`;
  return rows.map((row) => row.subnet);
}
