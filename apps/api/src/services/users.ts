import { PlatError } from '@plat/core';
import type { Platform } from '../platform.js';
import { createTokenRow, ensureUser, findUserByEmail, type User } from '../store/users.js';

const EMAIL = /^[^\s@]+@[^\s@]+$/;

export function checkEmail(raw: string): string {
  const email = raw.trim().toLowerCase();
  if (!EMAIL.test(email) || email.length > 254) throw new PlatError('invalid_params', `Invalid email address ${JSON.stringify(raw)}.`);
  return email;
}

/** The user with this email, made (with no token yet) when new. */
export async function ensureUserExists(platform: Platform, raw: string): Promise<User> {
  const email = checkEmail(raw);
  return (await findUserByEmail(platform.sql, email)) ?? ensureUser(platform.sql, email, false);
}

/** An admin adds a user and gets their first token, shown once. */
export async function createUser(platform: Platform, raw: string, admin: boolean): Promise<{ email: string; admin: boolean; token: string }> {
  const email = checkEmail(raw);
  if (await findUserByEmail(platform.sql, email)) throw new PlatError('conflict', `${email} exists already.`);
  const user = await ensureUser(platform.sql, email, admin);
  const token = await createTokenRow(platform.sql, user.id, 'first token');
  return { email: user.email, admin: user.admin, token: token.token };
}
