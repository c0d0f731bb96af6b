import { PlatError } from '@plat/core';
import type { Sql } from '../store/database.js';
import { findApp, type AppRow } from '../store/apps.js';
import { isCollaborator } from '../store/collaborators.js';
import { findUserByToken, type User } from '../store/users.js';
import type { FailedAuthLimit } from './failed-auth-limit.js';

export async function authenticate(sql: Sql, token: string | undefined): Promise<User> {
  if (!token)
    throw new PlatError('unauthorized', 'No token given: run `plat login`, or send Authorization: Bearer <token>.');
  const found = await findUserByToken(sql, token);
  if (!found) throw new PlatError('unauthorized', 'Invalid token: run `plat login` again.');
  if (found.disabled)
    throw new PlatError(
      'unauthorized',
      `The account ${found.email} is disabled: ask an admin to enable it (plat users:enable).`,
    );
  if (found.expired)
    throw new PlatError(
      'unauthorized',
      'Token expired: log in with another token, or ask for a new one (plat tokens:create).',
    );
  return { id: found.id, email: found.email, admin: found.admin };
}

/**
 * authenticate() for a request from a client address: an address that has
 * failed too often is refused before its token reaches the database, and
 * every token the database refuses counts as a failure. No token at all
 * costs no query and is not counted (git asks without one first).
 */
export async function authenticateClient(
  sql: Sql,
  failures: FailedAuthLimit,
  client: { token: string | undefined; address: string | undefined },
): Promise<User> {
  if (!client.token) return authenticate(sql, client.token);
  const release = failures.attempt(client.address);
  try {
    return await authenticate(sql, client.token);
  } catch (error) {
    if (error instanceof PlatError && error.id === 'unauthorized') failures.failed(client.address);
    throw error;
  } finally {
    release();
  }
}

/** What a user may do with an app: its owner and admins manage it, collaborators use it. */
export type AppRole = 'owner' | 'collaborator';

/** The app, when the user may use it: owner, collaborator or admin. */
export async function appForUser(
  sql: Sql,
  user: User,
  name: string,
  need: AppRole = 'collaborator',
  options: { destroying?: boolean } = {},
): Promise<AppRow> {
  const app = await findApp(sql, name);
  if (!app) throw new PlatError('not_found', `Couldn't find that app: ${name}`);
  // A destroy cut short is finished by apps:destroy (or platd's start); nothing else may touch the app meanwhile.
  if (app.destroying && !options.destroying)
    throw new PlatError(
      'conflict',
      `${name} is being destroyed: finish with plat apps:destroy -a ${name} --confirm ${name}.`,
    );
  if (user.admin || app.owner_id === user.id) return app;
  if (need === 'collaborator' && (await isCollaborator(sql, app.id, user.id))) return app;
  throw new PlatError(
    'forbidden',
    need === 'owner'
      ? `Only the owner of ${name} (or an admin) may do that.`
      : `You do not have access to the app ${name}.`,
  );
}

export function requireAdmin(user: User): void {
  if (!user.admin) throw new PlatError('forbidden', 'Only admins may do that.');
}
