import { randomBytes } from 'node:crypto';
import { ensureServiceImage } from '@plat/builder';
import { PlatError, type AddonInfo } from '@plat/core';
import { resolvePlan } from '../addons/registry.js';
import { networkName } from '../controller/dyno-spec.js';
import type { Platform } from '../platform.js';
import { configVars, updateConfigVars, type AppRow } from '../store/apps.js';
import { attachmentTaken, deleteAddon, findAddon, insertAddon, listAddons, type AddonRow } from '../store/addons.js';
import type { User } from '../store/users.js';
import { generateAppName } from './app-names.js';
import { audit } from './audit.js';
import { releaseConfig } from './releases.js';
import { deleteJobs } from '../scheduler/jobs.js';

const ATTACHMENT = /^[A-Z][A-Z0-9_]{0,40}$/;

function volumeOf(platform: Platform, addon: { name: string; provider: string; plan: string }): string | undefined {
  const { provider, plan } = resolvePlan(`${addon.provider}:${addon.plan}`);
  return provider.service?.(plan, {}).dataPath ? `plat-${platform.settings.instance}-addon-${addon.name}` : undefined;
}

function hasService(addon: { provider: string }): boolean {
  return resolvePlan(addon.provider).provider.service !== undefined;
}

export async function presentAddon(platform: Platform, addon: AddonRow): Promise<AddonInfo> {
  const service = hasService(addon);
  return {
    name: addon.name,
    provider: addon.provider,
    plan: addon.plan,
    config_var: service ? `${addon.attachment}_URL` : '',
    state: service ? await platform.runtime.addonState(addon.name) : 'available',
    created_at: addon.created_at.toISOString(),
  };
}

/**
 * Provisions an add-on: its own container on the app's network (image
 * built on the stack when missing), ready before anything is recorded.
 * Then, in the app's release order, the config var is set and a release
 * made. A provisioning failure removes what it made and says why.
 */
export async function createAddon(platform: Platform, app: AppRow, user: User, request: { spec: string; as?: string }): Promise<AddonRow> {
  const { provider, plan } = resolvePlan(request.spec);
  const attachment = (request.as ?? provider.defaultAttachment).toUpperCase().replace(/_URL$/, '');
  if (!ATTACHMENT.test(attachment)) throw new PlatError('invalid_params', `Invalid attachment name ${JSON.stringify(request.as)}: letters, digits and _.`);
  const configVar = `${attachment}_URL`;
  if (provider.url && ((await attachmentTaken(platform.sql, app.id, attachment)) || Object.hasOwn(await configVars(platform.sql, app.id), configVar))) {
    throw new PlatError('conflict', `${configVar} is already set on ${app.name}: attach with --as ANOTHER_NAME.`);
  }
  const name = `${provider.name}-${generateAppName().split('-').slice(0, 1).join('')}-${randomBytes(2).readUInt16BE(0) % 9000 + 1000}`;
  const credentials = provider.credentials(() => randomBytes(18).toString('hex'));
  if (!provider.service || !provider.url) {
    if (await attachmentTaken(platform.sql, app.id, attachment)) throw new PlatError('conflict', `${app.name} has a ${provider.name} already.`);
    const addon = await insertAddon(platform.sql, { app_id: app.id, name, provider: provider.name, plan: plan.name, attachment, credentials });
    await audit(platform, app, user, 'addon.create', { addon: name, plan: `${provider.name}:${plan.name}` });
    return addon;
  }
  const url = provider.url;
  const service = provider.service(plan, credentials);
  const image = await ensureServiceImage(platform.images, service.image, (line) => platform.log(`${name} image: ${line}`));
  const network = networkName(platform.settings.instance, app.name);
  await platform.runtime.ensureNetwork(network, app.name);
  const volume = service.dataPath ? { name: `plat-${platform.settings.instance}-addon-${name}`, path: service.dataPath } : undefined;
  try {
    await platform.runtime.startAddon(
      { name, app: app.name, appId: app.id, network, image, env: service.env, healthcheck: service.healthcheck, memoryBytes: plan.memoryMb * 1024 ** 2, ...(volume ? { volume } : {}) },
      platform.settings.addonBootTimeoutMs,
    );
  } catch (error) {
    await platform.runtime.removeAddon(name, volume?.name);
    throw new PlatError('unavailable', `Provisioning ${provider.name} failed, and nothing was kept: ${(error as Error).message}`);
  }
  return platform.releases.run(app.name, async () => {
    const addon = await insertAddon(platform.sql, { app_id: app.id, name, provider: provider.name, plan: plan.name, attachment, credentials });
    await updateConfigVars(platform.sql, app.id, { [configVar]: url(name, credentials) });
    await audit(platform, app, user, 'addon.create', { addon: name, plan: `${provider.name}:${plan.name}`, config_var: configVar });
    await releaseConfig(platform, app, `Attach ${name} (${configVar})`);
    return addon;
  });
}

/** Detaches (unsets the config var, a release) and removes the container, and only then the volume. */
export async function destroyAddon(platform: Platform, app: AppRow, user: User, name: string, confirm: string | undefined): Promise<void> {
  const addon = await findAddon(platform.sql, app.id, name);
  if (!addon) throw new PlatError('not_found', `Couldn't find add-on ${name} on ${app.name}.`);
  if (confirm !== name) throw new PlatError('invalid_params', `Destroying ${name} deletes its data: confirm with its name (plat addons:destroy ${name} --confirm ${name}).`);
  await platform.releases.run(app.name, async () => {
    await deleteAddon(platform.sql, addon.id);
    await audit(platform, app, user, 'addon.destroy', { addon: name });
    if (addon.provider === 'scheduler') await deleteJobs(platform.sql, app.id);
    if (!hasService(addon)) return;
    await updateConfigVars(platform.sql, app.id, { [`${addon.attachment}_URL`]: null });
    await releaseConfig(platform, app, `Detach ${name} (${addon.attachment}_URL)`);
  });
  await platform.runtime.removeAddon(addon.name, volumeOf(platform, addon));
}

/** For app destroy: every add-on's container and volume. */
export async function removeAllAddons(platform: Platform, app: AppRow): Promise<void> {
  for (const addon of await listAddons(platform.sql, app.id)) {
    if (hasService(addon)) await platform.runtime.removeAddon(addon.name, volumeOf(platform, addon));
  }
}

export async function restartAddon(platform: Platform, app: AppRow, name: string): Promise<void> {
  const addon = await findAddon(platform.sql, app.id, name);
  if (!addon) throw new PlatError('not_found', `Couldn't find add-on ${name} on ${app.name}.`);
  if (!hasService(addon)) throw new PlatError('invalid_params', `${name} has no server to restart.`);
  await platform.runtime.restartAddon(name);
}
