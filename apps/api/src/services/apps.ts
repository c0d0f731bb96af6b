import { checkAppName, networkName, PlatError, type App } from '@plat/core';
import { ensureRepository, removeRepository, repoPath } from '@plat/builder';
import { renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { endAppStreams } from '../events/live-streams.js';
import type { Platform } from '../platform.js';
import {
  deleteApp,
  findApp,
  insertApp,
  listAppsFor,
  listAppsPageFor,
  listDestroying,
  markDestroying,
  renameApp,
  setBuildpack,
  setMaintenance,
  type AppRow,
  type AppsPage,
} from '../store/apps.js';
import { findBuildpack } from '@plat/builder';
import type { User } from '../store/users.js';
import type { BlockPicker } from '../store/network-blocks.js';
import { generateAppName } from './app-names.js';
import { removeAllAddons } from './addons.js';
import { audit } from './audit.js';
import { checkAppQuota, withinQuota } from './quotas.js';
import { countOwnedApps } from '../store/quotas.js';
import { dockerDisk } from './disk.js';
import { listReleases, releaseImagesInUse } from '../store/releases.js';
import { ownImageTag } from './releases.js';
import { servingCertificate } from '../certs/served.js';
import { servableCertificatesOf } from '../store/certificates.js';

/**
 * Where the app's repository is, for a client that reached the API at
 * `apiHost` (its Host header): through the router's API domain, at that
 * domain's URL (https once a certificate serves it); else as reached.
 */
function gitUrl(platform: Platform, app: AppRow, apiHost: string): string {
  const { apiDomain } = platform;
  const reached = apiHost.replace(/:\d+$/, '').toLowerCase();
  const base = apiDomain && reached === apiDomain.hostname ? apiDomain.url : `http://${apiHost}`;
  return `${base}/git/${app.name}.git`;
}

/** The app's own URL: https (the TLS port unless 443) once a certificate serves its hostname. */
function webUrl(platform: Platform, app: AppRow, secured: boolean): string {
  const { routerPort, routerTlsPort } = platform.settings;
  const hostname = platform.controller.hostnameOf(app.name);
  if (secured) return `https://${hostname}${routerTlsPort === 443 ? '' : `:${routerTlsPort}`}/`;
  return `http://${hostname}${routerPort === 80 ? '' : `:${routerPort}`}/`;
}

/** The apps as the API shows them, their certificates read in one query. */
export async function presentApps(platform: Platform, apps: AppRow[], apiHost: string): Promise<App[]> {
  const certificates = await servableCertificatesOf(
    platform.sql,
    apps.map((app) => app.id),
  );
  const now = new Date();
  return apps.map((app) => {
    const hostname = platform.controller.hostnameOf(app.name);
    const secured = servingCertificate(hostname, certificates.get(app.id) ?? [], now) !== undefined;
    return presentApp(platform, app, apiHost, secured);
  });
}

export async function presentOneApp(platform: Platform, app: AppRow, apiHost: string): Promise<App> {
  return (await presentApps(platform, [app], apiHost))[0]!;
}

export function presentApp(platform: Platform, app: AppRow, apiHost: string, secured = false): App {
  return {
    id: app.id,
    name: app.name,
    owner: app.owner_email,
    stack: app.stack,
    buildpack: app.buildpack,
    maintenance: app.maintenance,
    web_url: webUrl(platform, app, secured),
    git_url: gitUrl(platform, app, apiHost),
    created_at: app.created_at.toISOString(),
    updated_at: app.updated_at.toISOString(),
  };
}

/** An app named so that its hostname is the API domain would take the API's traffic. */
function checkNotApiDomain(platform: Platform, name: string): void {
  const { apiDomain } = platform.settings;
  if (apiDomain && platform.controller.hostnameOf(name) === apiDomain.hostname)
    throw new PlatError('conflict', `Name ${name} is taken: ${apiDomain.hostname} is where Plat serves its API.`);
}

export async function createApp(platform: Platform, user: User, name: unknown): Promise<AppRow> {
  return withinQuota(`apps:${user.id}`, () => createCountedApp(platform, user, name));
}

async function createCountedApp(platform: Platform, user: User, name: unknown): Promise<AppRow> {
  checkAppQuota(await countOwnedApps(platform.sql, user.id), platform.settings.maxAppsPerUser);
  let app: AppRow | undefined;
  if (name === undefined) {
    const network = await networkPicker(platform);
    for (let attempt = 0; attempt < 10 && !app; attempt += 1) {
      const generated = generateAppName();
      if (platform.controller.hostnameOf(generated) !== platform.settings.apiDomain?.hostname)
        app = await insertApp(platform.sql, generated, user.id, { network });
    }
    if (!app) throw new PlatError('conflict', 'Could not find a free app name; pass one.');
  } else {
    const valid = checkAppName(name);
    checkNotApiDomain(platform, valid);
    app = await insertApp(platform.sql, valid, user.id, { network: await networkPicker(platform) });
    if (!app) throw new PlatError('conflict', `Name ${valid} is already taken.`);
  }
  await createAppNetwork(platform, app);
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

/** The new app's block is chosen against Docker's networks: with Docker down, nothing is made and it says so. */
async function networkPicker(platform: Platform): Promise<BlockPicker> {
  try {
    return await platform.subnets.picker();
  } catch (error) {
    if (error instanceof PlatError) throw error;
    platform.log(`listing the networks in use for a new app failed: ${(error as Error).message}`);
    throw new PlatError(
      'unavailable',
      "Docker did not answer when Plat asked which networks are in use, so the app was not created (platd's log " +
        'says why); try again once Docker is running.',
    );
  }
}

/**
 * Makes the new app's network in its block now, not at its first deploy: an
 * app Docker cannot give a network is not kept, row and block both.
 */
async function createAppNetwork(platform: Platform, app: AppRow): Promise<void> {
  const network = networkName(platform.settings.instance, app.id);
  try {
    await platform.runtime.ensureNetwork(network, app.name, app.id);
  } catch (error) {
    platform.log(`creating the network of new app ${app.name} failed: ${(error as Error).message}`);
    await platform.runtime.removeNetwork(network).catch(() => {});
    await deleteApp(platform.sql, app.id);
    if (error instanceof PlatError) throw error;
    throw new PlatError(
      'unavailable',
      `Docker could not create a network for ${app.name}, so the app was not created (platd's log says why); ` +
        'try again.',
    );
  }
}

export function appsOf(platform: Platform, user: User): Promise<AppRow[]> {
  return listAppsFor(platform.sql, user);
}

/** One page of the user's apps by name (GET /v1/apps), and whether more follow. */
export function appsPageOf(platform: Platform, user: User, page: AppsPage): Promise<{ apps: AppRow[]; more: boolean }> {
  return listAppsPageFor(platform.sql, user, page);
}

/** Renames the app, its repository and its dynos (the new ones serve before the old go). */
export async function renameAppTo(platform: Platform, app: AppRow, user: User, newName: unknown): Promise<AppRow> {
  const name = checkAppName(newName);
  if (name === app.name) return app;
  checkNotApiDomain(platform, name);
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
      // Streams opened under the old name end: clients reconnect by the new one.
      endAppStreams(platform, app.id);
      // Drains followed the old name's router log: they follow the new one now, not at the next sync.
      await platform.drains.sync().catch((error: Error) => platform.log(`drains: resync failed: ${error.message}`));
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

/**
 * Removes the tags the app's releases run under, and resolves with the tags
 * other apps' kept releases use: a promoted image is shared by id, so the
 * images built for this app that carry one of those stay for that app.
 */
async function untagReleaseImages(platform: Platform, app: AppRow): Promise<Set<string>> {
  const own = new Set(
    (await listReleases(platform.sql, app.id)).flatMap((release) => ownImageTag(platform, release.image)),
  );
  const others = new Set(
    (await releaseImagesInUse(platform.sql, platform.settings.keepReleases)).filter((tag) => !own.has(tag)),
  );
  for (const tag of own) await platform.runtime.removeImageTag(tag);
  return others;
}

async function removeApp(platform: Platform, app: AppRow): Promise<void> {
  await removeAllAddons(platform, app);
  // Marked destroying, the app converges to nothing: no route, no dynos, no network.
  await platform.controller.converge(app.name);
  // A build sandbox still starting (a push that ended at once) would be made after the removal below.
  await platform.runtime.forgetBuildSandbox?.(app.id);
  const disk = dockerDisk(platform);
  const removed = await disk.removeApp(app.id, app.name, await untagReleaseImages(platform, app));
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
  endAppStreams(platform, app.id);
  // Its stored log lines, builds, releases and backup records go with the row.
  await deleteApp(platform.sql, app.id);
}
