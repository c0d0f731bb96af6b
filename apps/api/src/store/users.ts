import { createHash, randomBytes } from 'node:crypto';
import type { Sql } from './database.js';

export interface User {
  id: string;
  email: string;
  admin: boolean;
}

export function hashToken(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** A new token secret; only its hash is stored. */
export function newTokenSecret(): string {
  return `plat_${randomBytes(24).toString('base64url')}`;
}

export async function findUserByToken(sql: Sql, secret: string): Promise<User | undefined> {
  // last_used_at is touched at most once a minute, so reads stay reads.
  const [row] = await sql<User[]>`
    with found as (
      select users.id, users.email, users.admin, tokens.id as token_id, tokens.last_used_at
      from tokens join users on users.id = tokens.user_id
      where tokens.hash = ${hashToken(secret)}
    ), touched as (
      update tokens set last_used_at = now()
      where id = (select token_id from found)
        and (tokens.last_used_at is null or tokens.last_used_at < now() - interval '1 minute')
    )
    select id, email, admin from found`;
  return row;
}

export async function ensureUser(sql: Sql, email: string, admin: boolean): Promise<User> {
  const [row] = await sql<User[]>`
    insert into users (email, admin) values (${email}, ${admin})
    on conflict (email) do update set admin = excluded.admin
    returning id, email, admin`;
  return row!;
}

export async function findUserByEmail(sql: Sql, email: string): Promise<User | undefined> {
  const [row] = await sql<User[]>`select id, email, admin from users where email = ${email}`;
  return row;
}

export interface TokenRow {
  id: string;
  description: string;
  created_at: Date;
  last_used_at: Date | null;
}

export async function createTokenRow(sql: Sql, userId: string, description: string): Promise<TokenRow & { token: string }> {
  const secret = newTokenSecret();
  const [row] = await sql<TokenRow[]>`
    insert into tokens (user_id, hash, description) values (${userId}, ${hashToken(secret)}, ${description})
    returning id, description, created_at, last_used_at`;
  return { ...row!, token: secret };
}

export async function listTokens(sql: Sql, userId: string): Promise<TokenRow[]> {
  return sql<TokenRow[]>`
    select id, description, created_at, last_used_at from tokens where user_id = ${userId} order by created_at`;
}

export async function revokeToken(sql: Sql, userId: string, id: string): Promise<boolean> {
  if (!/^[0-9a-f-]{36}$/.test(id)) return false;
  const rows = await sql`delete from tokens where user_id = ${userId} and id = ${id}`;
  return rows.count === 1;
}
