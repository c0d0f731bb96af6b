import { checkAppName, PlatError, type App } from '@plat/core';
import { ensureRepository, removeRepository, repoPath } from '@plat/builder';
import { renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Platform } from '../platform.js';
import {
  deleteApp,
  findApp,
  insertApp,
  listAppsFor,
  listDestroying,
  markDestroying,
  renameApp,
  setBuildpack,
  setMaintenance,
  type AppRow,
} from '../store/apps.js';
import { findBuildpack } from '@plat/builder';
import type { User } from '../store/users.js';
import { generateAppName } from './app-names.js';
import { removeAllAddons } from './addons.js';
import { audit } from './audit.js';
import { checkAppQuota, withinQuota } from './quotas.js';
import { countOwnedApps } from '../store/quotas.js';
import { dockerDisk } from './disk.js';

export function presentApp(platform: Platform, app: AppRow, apiHost: string): App {
  const { routerPort } = platform.settings;
  return {
    id: app.id,
    name: app.name,
    owner: app.owner_email,
    stack: app.stack,
    buildpack: app.buildpack,
    maintenance: app.maintenance,
    web_url: `http://${platform.controller.hostnameOf(app.name)}${routerPort === 80 ? '' : `:${routerPort}`}/`,
    git_url: `http://${apiHost}/git/${app.name}.git`,
    created_at: app.created_at.toISOString(),
    updated_at: app.updated_at.toISOString(),
  };
}

export async function createApp(platform: Platform, user: User, name: unknown): Promise<AppRow> {
  return withinQuota(`apps:${user.id}`, () => createCountedApp(platform, user, name));
}

async function createCountedApp(platform: Platform, user: User, name: unknown): Promise<AppRow> {
  checkAppQuota(await countOwnedApps(platform.sql, user.id), platform.settings.maxAppsPerUser);
  let app: AppRow | undefined;
  if (name === undefined) {
    for (let attempt = 0; attempt < 10 && !app; attempt += 1)
      app = await insertApp(platform.sql, generateAppName(), user.id);
    if (!app) throw new PlatError('conflict', 'Could not find a free app name; pass one.');
  } else {
    const valid = checkAppName(name);
    app = await insertApp(platform.sql, valid, user.id);
    if (!app) throw new PlatError('conflict', `Name ${valid} is already taken.`);
  }
  // The name is ours now; a repo or router log left under it (a destroy from
  // before destroys were resumable) must not be inherited.
  removeRepository(platform.reposDir, app.name);
  platform.routerLogs.remove(app.name);
  await ensureRepository(platform.reposDir, app.name);
  await audit(platform, app, user, 'app.create');
  // Route the new name at once: until its first deploy it answers H14.
  await platform.controller.converge(app.name);
  return app;
}

export function appsOf(platform: Platform, user: User): Promise<AppRow[]> {
  return listAppsFor(platform.sql, user);
}

/** Renames the app, its repository and its dynos (the new ones serve before the old go). */
export async function renameAppTo(platform: Platform, app: AppRow, user: User, newName: unknown): Promise<AppRow> {
  const name = checkAppName(newName);
  if (name === app.name) return app;
  return platform.builds.run(app.name, () =>
    platform.releases.run(app.name, async () => {
      if (!(await renameApp(platform.sql, app.id, name)))
        throw new PlatError('conflict', `Name ${name} is already taken.`);
      try {
        // The name is ours now: nothing left under it may be inherited, or block the move.
        removeRepository(platform.reposDir, name);
        renameSync(repoPath(platform.reposDir, app.name), repoPath(platform.reposDir, name));
      } catch (error) {
        // The row and the repository keep one name: undo the rename rather than part them.
        await renameApp(platform.sql, app.id, app.name);
        throw error;
      }
      platform.routerLogs.rename(app.name, name);
      await audit(platform, { id: app.id, name }, user, 'app.rename', { from: app.name, to: name });
      await platform.controller.converge(name);
      await platform.controller.converge(app.name);
      return (await findApp(platform.sql, name))!;
    }),
  );
}

export async function setAppMaintenance(
  platform: Platform,
  app: AppRow,
  user: User,
  maintenance: boolean,
): Promise<AppRow> {
  await setMaintenance(platform.sql, app.id, maintenance);
  await audit(platform, app, user, maintenance ? 'maintenance.on' : 'maintenance.off');
  await platform.controller.converge(app.name);
  return (await findApp(platform.sql, app.name))!;
}

/** Chooses the buildpack for the next builds, or null to go back to detection. */
export async function setAppBuildpack(
  platform: Platform,
  app: AppRow,
  user: User,
  buildpack: string | null,
): Promise<AppRow> {
  const name = buildpack === null ? null : findBuildpack(buildpack).name;
  await setBuildpack(platform.sql, app.id, name);
  await audit(platform, app, user, 'buildpack.set', { buildpack: name });
  return (await findApp(platform.sql, app.name))!;
}

/**
 * Destroys the app. It is marked first (it stops serving, and nothing but a
 * destroy may touch it), then its parts are removed step by step, each step
 * safe to repeat, and its row goes last: an error or a crash mid-way is
 * finished by the next apps:destroy or at platd's start, and the name is
 * free only once nothing of the app is left.
 */
export async function destroyApp(
  platform: Platform,
  app: AppRow,
  user: User,
  confirm: string | undefined,
): Promise<void> {
  if (confirm !== app.name) {
    throw new PlatError(
      'invalid_params',
      `Destroying ${app.name} is permanent: confirm with its name (plat apps:destroy --confirm ${app.name}).`,
    );
  }
  if (!app.destroying) {
    await markDestroying(platform.sql, app.id);
    await audit(platform, app, user, 'app.destroy');
  }
  await platform.builds.run(app.name, () => platform.releases.run(app.name, () => removeApp(platform, app)));
}

/** Finishes destroys cut short (platd's start). */
export async function finishDestroys(platform: Platform): Promise<void> {
  for (const app of await listDestroying(platform.sql)) {
    try {
      await platform.builds.run(app.name, () => platform.releases.run(app.name, () => removeApp(platform, app)));
      platform.log(`finished destroying ${app.name}`);
    } catch (error) {
      platform.log(`destroying ${app.name} failed again (plat apps:destroy retries): ${(error as Error).message}`);
    }
  }
}

async function removeApp(platform: Platform, app: AppRow): Promise<void> {
  await removeAllAddons(platform, app);
  // Marked destroying, the app converges to nothing: no route, no dynos, no network.
  await platform.controller.converge(app.name);
  const disk = dockerDisk(platform);
  const removed = await disk.removeApp(app.id, app.name);
  for (const network of [...removed.networks, ...removed.legacyNetworks]) {
    await platform.runtime.removeNetwork(network).catch(() => {});
  }
  // Whatever another container still uses stays, and so does the app, marked, for the next try.
  const left = await disk.leftovers(app.id, app.name);
  if (left.containers.length + left.volumes.length + left.networks.length > 0) {
    throw new PlatError(
      'unavailable',
      `Docker still holds ${left.containers.length} container(s), ${left.volumes.length} volume(s) and ` +
        `${left.networks.length} network(s) of ${app.name}, in use by others; free them, then run apps:destroy again.`,
    );
  }
  // An image another platd or app built on stays for them; it no longer names this app's code.
  if (left.images.length > 0)
    platform.log(`${left.images.length} image(s) of ${app.name} are still used by others and stay`);
  removeRepository(platform.reposDir, app.name);
  rmSync(join(platform.settings.dataDir, 'backups', app.id), { recursive: true, force: true });
  platform.logs.forget(app.name);
  // Its stored log lines, builds, releases and backup records go with the row.
  await deleteApp(platform.sql, app.id);
}
