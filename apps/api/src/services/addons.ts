import { randomBytes } from 'node:crypto';
import { ensureServiceImage } from '@plat/builder';
import {
  addonConfigVarNames,
  addonConfigVars,
  networkName,
  PlatError,
  type AddonInfo,
  type AddonPlan,
  type AddonProvider,
} from '@plat/core';
import { resolvePlan } from '../addons/registry.js';
import type { Platform } from '../platform.js';
import { configVars, type AppRow } from '../store/apps.js';
import {
  activateAddon,
  attachmentTaken,
  beginAddonDestroy,
  deleteAddon,
  findAddon,
  listAddons,
  markAppAddonsDestroying,
  reserveAddon,
  uniqueViolation,
  type AddonRow,
} from '../store/addons.js';
import { latestRelease } from '../store/releases.js';
import type { User } from '../store/users.js';
import { generateAppName } from './app-names.js';
import { addonNode } from './nodes.js';
import { audit } from './audit.js';
import { deleteAppBackups, deleteBackupsOf } from './pg-backups.js';
import { releaseConfig } from './releases.js';
import { deleteBackupSchedule, deleteJobs } from '../store/scheduler-jobs.js';
import { addonEvent } from '../webhooks/resources.js';

const ATTACHMENT = /^[A-Z][A-Z0-9_]{0,40}$/;

function hasService(addon: { provider: string }): boolean {
  return resolvePlan(addon.provider).provider.service !== undefined;
}

export async function presentAddon(platform: Platform, addon: AddonRow): Promise<AddonInfo> {
  const service = hasService(addon);
  const node = service ? await addonNode(platform) : undefined;
  return {
    name: addon.name,
    provider: addon.provider,
    plan: addon.plan,
    config_var: service ? `${addon.attachment}_URL` : '',
    state: addon.state !== 'active' ? addon.state : service ? await platform.addons.state(addon) : 'available',
    created_at: addon.created_at.toISOString(),
    ...(node ? { node } : {}),
  };
}

/**
 * Reserves the add-on in the database: a unique name (another is drawn if
 * taken) and the app's attachment (a conflict when taken, even by a request
 * racing this one).
 */
async function reserve(
  platform: Platform,
  app: AppRow,
  entry: { provider: AddonProvider; plan: AddonPlan; attachment: string; state: 'provisioning' | 'active' },
): Promise<AddonRow> {
  const { provider, plan, attachment, state } = entry;
  const credentials = provider.credentials(() => randomBytes(18).toString('hex'));
  for (let attempt = 0; attempt < 20; attempt += 1) {
    const word = generateAppName().split('-')[0];
    const name = `${provider.name}-${word}-${(randomBytes(2).readUInt16BE(0) % 9000) + 1000}`;
    try {
      const row = await reserveAddon(platform.sql, {
        app_id: app.id,
        name,
        provider: provider.name,
        plan: plan.name,
        attachment,
        credentials,
        state,
      });
      if (row) return row;
    } catch (error) {
      if (uniqueViolation(error) === undefined) throw error;
      throw new PlatError(
        'conflict',
        provider.url
          ? `${attachment}_URL is already set on ${app.name}: attach with --as ANOTHER_NAME.`
          : `${app.name} has a ${provider.name} already.`,
      );
    }
  }
  throw new PlatError('conflict', 'Could not find a free add-on name; try again.');
}

/**
 * Provisions an add-on. Its row is written first (state 'provisioning'),
 * so its name and the app's attachment are reserved before Docker has
 * anything; then its container (on the app's network, named and labelled by
 * the row's id) must pass its health check. Only then, in the app's release
 * order, it turns active with its config var, and a release is made. A
 * failure removes what carries its labels, and its row.
 */
export async function createAddon(
  platform: Platform,
  app: AppRow,
  user: User,
  request: { spec: string; as?: string },
): Promise<AddonRow> {
  const { provider, plan } = resolvePlan(request.spec);
  const attachment = (request.as ?? provider.defaultAttachment).toUpperCase().replace(/_URL$/, '');
  if (!ATTACHMENT.test(attachment))
    throw new PlatError(
      'invalid_params',
      `Invalid attachment name ${JSON.stringify(request.as)}: letters, digits and _.`,
    );
  const configVar = `${attachment}_URL`;
  const current = provider.url ? await configVars(platform.sql, app.id) : {};
  const taken = addonConfigVarNames(provider, attachment).find((name) => Object.hasOwn(current, name));
  if (provider.url && ((await attachmentTaken(platform.sql, app.id, attachment)) || taken)) {
    throw new PlatError(
      'conflict',
      `${taken ?? configVar} is already set on ${app.name}: attach with --as ANOTHER_NAME.`,
    );
  }
  if (!provider.service || !provider.url) {
    const addon = await reserve(platform, app, { provider, plan, attachment, state: 'active' });
    await audit(platform, app, user, 'addon.create', { addon: addon.name, plan: `${provider.name}:${plan.name}` });
    platform.webhooks.emit(addonEvent(app, addon, 'create', user));
    return addon;
  }
  const addon = await reserve(platform, app, { provider, plan, attachment, state: 'provisioning' });
  const service = provider.service(plan, addon.credentials);
  try {
    const image = await ensureServiceImage(platform.images, service.image, (line) =>
      platform.log(`${addon.name} image: ${line}`),
    );
    const network = networkName(platform.settings.instance, app.id);
    await platform.runtime.ensureNetwork(network, app.name, app.id);
    await platform.addons.start(
      {
        addon,
        app: app.name,
        network,
        image,
        env: service.env,
        healthcheck: service.healthcheck,
        memoryBytes: plan.memoryMb * 1024 ** 2,
        ...(service.dataPath ? { dataPath: service.dataPath } : {}),
      },
      platform.settings.addonBootTimeoutMs,
    );
  } catch (error) {
    await discardAddon(platform, addon);
    throw new PlatError(
      'unavailable',
      `Provisioning ${provider.name} failed, and nothing was kept: ${(error as Error).message}`,
    );
  }
  const { [configVar]: url, ...more } = addonConfigVars(provider, attachment, addon.name, addon.credentials);
  return platform.releases.run(app.name, async () => {
    const activated = await activateAddon(platform.sql, { id: addon.id, appId: app.id, configVar, url: url!, more });
    if (!activated) {
      // The app (and so this row) went while the container started.
      await platform.addons.remove(addon);
      throw new PlatError(
        'not_found',
        `${app.name} was destroyed while ${addon.name} was provisioned; nothing was kept.`,
      );
    }
    await audit(platform, app, user, 'addon.create', {
      addon: addon.name,
      plan: `${provider.name}:${plan.name}`,
      config_var: configVar,
    });
    await releaseConfig(platform, app, `Attach ${addon.name} (${configVar})`, user);
    platform.webhooks.emit(addonEvent(app, { ...addon, state: 'active' }, 'create', user));
    return { ...addon, state: 'active' as const };
  });
}

/** A half-made add-on: whatever carries its labels, then its row. */
export async function discardAddon(platform: Platform, addon: AddonRow): Promise<void> {
  await platform.addons.remove(addon);
  await deleteAddon(platform.sql, addon.id);
}

/** The end of a destroy (also run at start-up for one cut short): objects, backups and their schedule, row. */
export async function finishDestroy(platform: Platform, addon: AddonRow): Promise<void> {
  if (hasService(addon)) await platform.addons.remove(addon);
  await deleteBackupsOf(platform, addon.app_id, addon.name);
  await deleteBackupSchedule(platform.sql, addon.app_id, addon.name);
  await deleteAddon(platform.sql, addon.id);
}

/**
 * Marks the add-on 'destroying' and unsets its config var in one
 * transaction, makes the release that detaches it, and only then removes
 * its container, volume and backups, and last its row. A destroy cut short
 * is finished by the next one, or by the next platd start.
 */
export async function destroyAddon(
  platform: Platform,
  app: AppRow,
  user: User,
  name: string,
  confirm: string | undefined,
): Promise<void> {
  const addon = await findAddon(platform.sql, app.id, name);
  if (!addon) throw new PlatError('not_found', `Couldn't find add-on ${name} on ${app.name}.`);
  if (confirm !== name)
    throw new PlatError(
      'invalid_params',
      `Destroying ${name} deletes its data: confirm with its name (plat addons:destroy ${name} --confirm ${name}).`,
    );
  if (addon.state === 'provisioning')
    throw new PlatError('conflict', `${name} is still being provisioned: try again once it is.`);
  const configVar = `${addon.attachment}_URL`;
  await platform.releases.run(app.name, async () => {
    const marked = await beginAddonDestroy(platform.sql, {
      id: addon.id,
      appId: app.id,
      state: addon.state,
      ...(hasService(addon)
        ? { configVar, moreVars: addonConfigVarNames(resolvePlan(addon.provider).provider, addon.attachment).slice(1) }
        : {}),
    });
    if (!marked) throw new PlatError('conflict', `${name} is being destroyed already.`);
    await audit(platform, app, user, 'addon.destroy', { addon: name });
    if (addon.provider === 'scheduler') await deleteJobs(platform.sql, app.id);
    if (!hasService(addon) || !Object.hasOwn((await latestRelease(platform.sql, app.id))?.config ?? {}, configVar))
      return;
    // The data goes even when this release fails: its destroy was confirmed.
    await releaseConfig(platform, app, `Detach ${name} (${configVar})`, user).catch((error: Error) =>
      platform.log(`detaching ${name} from ${app.name}: ${error.message}`),
    );
  });
  await finishDestroy(platform, addon);
  platform.webhooks.emit(addonEvent(app, addon, 'destroy', user));
}

/** For app destroy: every add-on's container, volume and backups (the rows go with the app). */
export async function removeAllAddons(platform: Platform, app: AppRow): Promise<void> {
  await markAppAddonsDestroying(platform.sql, app.id);
  for (const addon of await listAddons(platform.sql, app.id)) {
    if (hasService(addon)) await platform.addons.remove(addon);
    await deleteBackupsOf(platform, app.id, addon.name);
  }
  deleteAppBackups(platform, app.id);
}

export async function restartAddon(platform: Platform, app: AppRow, name: string): Promise<void> {
  const addon = await findAddon(platform.sql, app.id, name);
  if (!addon) throw new PlatError('not_found', `Couldn't find add-on ${name} on ${app.name}.`);
  if (!hasService(addon)) throw new PlatError('invalid_params', `${name} has no server to restart.`);
  if (addon.state !== 'active') throw new PlatError('conflict', `${name} is ${addon.state}.`);
  await platform.addons.restart(addon);
}
