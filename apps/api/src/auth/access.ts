import { PlatError } from '@plat/core';
import type { Sql } from '../store/database.js';
import { findApp, type AppRow } from '../store/apps.js';
import { findUserByToken, type User } from '../store/users.js';

export async function authenticate(sql: Sql, token: string | undefined): Promise<User> {
  if (!token) throw new PlatError('unauthorized', 'No token given: run `plat login`, or send Authorization: Bearer <token>.');
  const user = await findUserByToken(sql, token);
  if (!user) throw new PlatError('unauthorized', 'Invalid token: run `plat login` again.');
  return user;
}

/** The app, when the user may use it: its owner or an admin. */
export async function appForUser(sql: Sql, user: User, name: string): Promise<AppRow> {
  const app = await findApp(sql, name);
  if (!app) throw new PlatError('not_found', `Couldn't find that app: ${name}`);
  if (!user.admin && app.owner_id !== user.id) throw new PlatError('forbidden', `You do not have access to the app ${name}.`);
  return app;
}
