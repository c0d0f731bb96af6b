import { PlatError } from '@plat/core';
import type { Sql } from '../store/database.js';
import { findApp, type AppRow } from '../store/apps.js';
import { isCollaborator } from '../store/collaborators.js';
import { findUserByToken, type User } from '../store/users.js';

export async function authenticate(sql: Sql, token: string | undefined): Promise<User> {
  if (!token) throw new PlatError('unauthorized', 'No token given: run `plat login`, or send Authorization: Bearer <token>.');
  const user = await findUserByToken(sql, token);
  if (!user) throw new PlatError('unauthorized', 'Invalid token: run `plat login` again.');
  return user;
}

/** What a user may do with an app: its owner and admins manage it, collaborators use it. */
export type AppRole = 'owner' | 'collaborator';

/** The app, when the user may use it: owner, collaborator or admin. */
export async function appForUser(sql: Sql, user: User, name: string, need: AppRole = 'collaborator'): Promise<AppRow> {
  const app = await findApp(sql, name);
  if (!app) throw new PlatError('not_found', `Couldn't find that app: ${name}`);
  if (user.admin || app.owner_id === user.id) return app;
  if (need === 'collaborator' && (await isCollaborator(sql, app.id, user.id))) return app;
  throw new PlatError(
    'forbidden',
    need === 'owner' ? `Only the owner of ${name} (or an admin) may do that.` : `You do not have access to the app ${name}.`,
  );
}

export function requireAdmin(user: User): void {
  if (!user.admin) throw new PlatError('forbidden', 'Only admins may do that.');
}
