import type { Sql } from './database.js';

export interface SshKeyRow {
  id: string;
  type: string;
  body: string;
  fingerprint: string;
  comment: string;
  created_at: Date;
  last_used_at: Date | null;
}

export async function listSshKeys(sql: Sql, userId: string): Promise<SshKeyRow[]> {
  return sql<SshKeyRow[]>`
    select id, type, body, fingerprint, comment, created_at, last_used_at
    from ssh_keys where user_id = ${userId} order by created_at, fingerprint`;
}

/** Who holds a fingerprint, if anyone: the refusal of a duplicate names whose it is. */
export async function sshKeyHolder(sql: Sql, fingerprint: string): Promise<{ user_id: string } | undefined> {
  const [row] = await sql<{ user_id: string }[]>`select user_id from ssh_keys where fingerprint = ${fingerprint}`;
  return row;
}

/** Undefined when the fingerprint is already registered (to anyone): nothing is stored then. */
export async function insertSshKey(
  sql: Sql,
  userId: string,
  key: { type: string; body: string; fingerprint: string; comment: string },
): Promise<SshKeyRow | undefined> {
  const [row] = await sql<SshKeyRow[]>`
    insert into ssh_keys (user_id, type, body, fingerprint, comment)
    values (${userId}, ${key.type}, ${key.body}, ${key.fingerprint}, ${key.comment})
    on conflict (fingerprint) do nothing
    returning id, type, body, fingerprint, comment, created_at, last_used_at`;
  return row;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Removes one of the user's keys; false when they have no such key. */
export async function deleteSshKey(sql: Sql, userId: string, id: string): Promise<boolean> {
  if (!UUID.test(id)) return false;
  const rows = await sql`delete from ssh_keys where user_id = ${userId} and id = ${id}`;
  return rows.count === 1;
}

/** Every key sshd may accept: those of users who are not disabled. */
export async function activeSshKeys(sql: Sql): Promise<Pick<SshKeyRow, 'id' | 'type' | 'body' | 'fingerprint'>[]> {
  return sql<Pick<SshKeyRow, 'id' | 'type' | 'body' | 'fingerprint'>[]>`
    select ssh_keys.id, ssh_keys.type, ssh_keys.body, ssh_keys.fingerprint
    from ssh_keys join users on users.id = ssh_keys.user_id
    where users.disabled_at is null
    order by ssh_keys.fingerprint`;
}

export interface SshKeyOwner {
  id: string;
  email: string;
  admin: boolean;
  disabled: boolean;
}

/**
 * The user a key belongs to, as a push over SSH starts; marks the key used
 * (at most once a minute). Undefined when the key was removed meanwhile.
 */
export async function sshKeyOwner(sql: Sql, keyId: string): Promise<SshKeyOwner | undefined> {
  if (!UUID.test(keyId)) return undefined;
  const [row] = await sql<SshKeyOwner[]>`
    with found as (
      select users.id, users.email, users.admin, users.disabled_at is not null as disabled,
        ssh_keys.id as key_id, ssh_keys.last_used_at
      from ssh_keys join users on users.id = ssh_keys.user_id
      where ssh_keys.id = ${keyId}
    ), touched as (
      update ssh_keys set last_used_at = now()
      where id = (select key_id from found where not disabled)
        and (ssh_keys.last_used_at is null or ssh_keys.last_used_at < now() - interval '1 minute')
    )
    select id, email, admin, disabled from found`;
  return row;
}
