import { checkAppName, PlatError, type App } from '@plat/core';
import { ensureRepository } from '@plat/builder';
import type { Platform } from '../platform.js';
import { insertApp, listApps, type AppRow } from '../store/apps.js';
import type { User } from '../store/users.js';

export function presentApp(platform: Platform, app: AppRow, apiHost: string): App {
  const { routerPort } = platform.settings;
  return {
    id: app.id,
    name: app.name,
    owner: app.owner_email,
    stack: app.stack,
    maintenance: app.maintenance,
    web_url: `http://${platform.controller.hostnameOf(app.name)}${routerPort === 80 ? '' : `:${routerPort}`}/`,
    git_url: `http://${apiHost}/git/${app.name}.git`,
    created_at: app.created_at.toISOString(),
    updated_at: app.updated_at.toISOString(),
  };
}

export async function createApp(platform: Platform, user: User, name: unknown): Promise<AppRow> {
  const valid = checkAppName(name);
  const app = await insertApp(platform.sql, valid, user.id);
  if (!app) throw new PlatError('conflict', `Name ${valid} is already taken.`);
  await ensureRepository(platform.reposDir, valid);
  // Route the new name at once: until its first deploy it answers H14.
  await platform.controller.converge(valid);
  return app;
}

export function appsOf(platform: Platform, user: User): Promise<AppRow[]> {
  return listApps(platform.sql, user.admin ? {} : { ownerId: user.id });
}
