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

/** A token's owner as found, with what may stop the token from being accepted. */
export interface TokenOwner extends User {
  disabled: boolean;
  expired: boolean;
}

export async function findUserByToken(sql: Sql, secret: string): Promise<TokenOwner | undefined> {
  // last_used_at is touched at most once a minute, so reads stay reads; a
  // refused token (expired, or its user disabled) is not "used".
  const [row] = await sql<TokenOwner[]>`
    with found as (
      select users.id, users.email, users.admin, tokens.id as token_id, tokens.last_used_at,
        users.disabled_at is not null as disabled,
        coalesce(tokens.expires_at <= now(), false) as expired
      from tokens join users on users.id = tokens.user_id
      where tokens.hash = ${hashToken(secret)}
    ), touched as (
      update tokens set last_used_at = now()
      where id = (select token_id from found where not disabled and not expired)
        and (tokens.last_used_at is null or tokens.last_used_at < now() - interval '1 minute')
    )
    select id, email, admin, disabled, expired from found`;
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
  expires_at: Date | null;
}

/** When a token stops working: seconds from now (by the database's clock), or a moment. */
export type TokenExpiry = { inSeconds: number } | { at: Date };

export async function createTokenRow(
  sql: Sql,
  userId: string,
  options: { description: string; expiry?: TokenExpiry },
): Promise<TokenRow & { token: string }> {
  const secret = newTokenSecret();
  const { expiry } = options;
  const expiresAt =
    expiry === undefined
      ? sql`null`
      : 'inSeconds' in expiry
        ? sql`now() + make_interval(secs => ${expiry.inSeconds})`
        : sql`${expiry.at}::timestamptz`;
  const [row] = await sql<TokenRow[]>`
    insert into tokens (user_id, hash, description, expires_at)
    values (${userId}, ${hashToken(secret)}, ${options.description}, ${expiresAt})
    returning id, description, created_at, last_used_at, expires_at`;
  return { ...row!, token: secret };
}

export async function listTokens(sql: Sql, userId: string): Promise<TokenRow[]> {
  return sql<TokenRow[]>`
    select id, description, created_at, last_used_at, expires_at
    from tokens where user_id = ${userId} order by created_at`;
}

const UUID = /^[0-9a-f-]{36}$/;

/** Revokes one of the user's tokens; with `anyUser` (admins), anyone's. */
export async function revokeToken(
  sql: Sql,
  userId: string,
  id: string,
  options: { anyUser?: boolean } = {},
): Promise<boolean> {
  if (!UUID.test(id)) return false;
  const rows = options.anyUser
    ? await sql`delete from tokens where id = ${id}`
    : await sql`delete from tokens where user_id = ${userId} and id = ${id}`;
  return rows.count === 1;
}

export interface UserRow {
  email: string;
  admin: boolean;
  disabled_at: Date | null;
  created_at: Date;
  tokens: number;
  apps: number;
}

export async function listUsers(sql: Sql): Promise<UserRow[]> {
  return sql<UserRow[]>`
    select email, admin, disabled_at, created_at,
      (select count(*)::int from tokens where tokens.user_id = users.id) as tokens,
      (select count(*)::int from apps where apps.owner_id = users.id) as apps
    from users order by created_at, email`;
}

/** Disables or enables a user; never the one asking (see services/users.ts). Undefined when there is no such user. */
export async function setUserDisabled(sql: Sql, email: string, disabled: boolean): Promise<UserRow | undefined> {
  const [row] = await sql<UserRow[]>`
    update users set disabled_at = case when ${disabled}::boolean then coalesce(disabled_at, now()) else null end
    where email = ${email}
    returning email, admin, disabled_at, created_at,
      (select count(*)::int from tokens where tokens.user_id = users.id) as tokens,
      (select count(*)::int from apps where apps.owner_id = users.id) as apps`;
  return row;
}
