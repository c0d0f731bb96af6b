import { PlatError } from '@plat/core';
import type { Platform } from '../platform.js';
import {
  createTokenRow,
  ensureUser,
  findUserByEmail,
  setUserDisabled,
  type TokenExpiry,
  type User,
  type UserRow,
} from '../store/users.js';

const EMAIL = /^[^\s@]+@[^\s@]+$/;

export function checkEmail(raw: string): string {
  const email = raw.trim().toLowerCase();
  if (!EMAIL.test(email) || email.length > 254)
    throw new PlatError('invalid_params', `Invalid email address ${JSON.stringify(raw)}.`);
  return email;
}

/** The user with this email, made (with no token yet) when new. */
export async function ensureUserExists(platform: Platform, raw: string): Promise<User> {
  const email = checkEmail(raw);
  return (await findUserByEmail(platform.sql, email)) ?? ensureUser(platform.sql, email, false);
}

/** An admin adds a user and gets their first token, shown once. */
export async function createUser(
  platform: Platform,
  raw: string,
  admin: boolean,
): Promise<{ email: string; admin: boolean; token: string }> {
  const email = checkEmail(raw);
  if (await findUserByEmail(platform.sql, email)) throw new PlatError('conflict', `${email} exists already.`);
  const user = await ensureUser(platform.sql, email, admin);
  const token = await createTokenRow(platform.sql, user.id, { description: 'first token' });
  return { email: user.email, admin: user.admin, token: token.token };
}

/** An admin disables (or enables again) a user: their tokens stop (or start) working at once. */
export async function setDisabled(
  platform: Platform,
  change: { admin: User; email: string; disabled: boolean },
): Promise<UserRow> {
  const { admin, disabled } = change;
  const email = checkEmail(change.email);
  // Locking oneself out would leave no one to undo it from this account.
  if (disabled && email === admin.email)
    throw new PlatError('forbidden', 'You cannot disable your own account: another admin can.');
  const row = await setUserDisabled(platform.sql, email, disabled);
  if (!row) throw new PlatError('not_found', `Couldn't find the user ${email}.`);
  return row;
}

const MAX_EXPIRY_SECONDS = 10 * 365 * 24 * 3600;

/** When a new token expires, from `expires_in` (seconds) or `expires_at` (ISO 8601); undefined: never. */
export function tokenExpiry(
  body: { expires_in?: number; expires_at?: string },
  now = Date.now(),
): TokenExpiry | undefined {
  if (body.expires_in !== undefined && body.expires_at !== undefined)
    throw new PlatError('invalid_params', 'Give expires_in or expires_at, not both.');
  if (body.expires_in !== undefined) {
    if (!Number.isInteger(body.expires_in) || body.expires_in < 1 || body.expires_in > MAX_EXPIRY_SECONDS) {
      throw new PlatError(
        'invalid_params',
        `expires_in is a number of seconds from 1 to ${MAX_EXPIRY_SECONDS} (10 years).`,
      );
    }
    return { inSeconds: body.expires_in };
  }
  if (body.expires_at === undefined) return undefined;
  const at = new Date(body.expires_at);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(body.expires_at) || Number.isNaN(at.getTime())) {
    throw new PlatError(
      'invalid_params',
      `expires_at ${JSON.stringify(body.expires_at)} is not an ISO 8601 time such as 2030-01-31T12:00:00Z.`,
    );
  }
  if (at.getTime() <= now) throw new PlatError('invalid_params', `expires_at ${body.expires_at} is in the past.`);
  if (at.getTime() > now + MAX_EXPIRY_SECONDS * 1000)
    throw new PlatError('invalid_params', 'expires_at is more than 10 years away.');
  return { at };
}
