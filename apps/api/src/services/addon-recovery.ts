import { ADDON_LABELS, networkName } from '@plat/core';
import { resolvePlan } from '../addons/registry.js';
import { planAddonRecovery } from '../controller/addon-objects.js';
import type { Platform } from '../platform.js';
import { allAddons } from '../store/addons.js';
import { appIds } from '../store/apps.js';
import { discardAddon, finishDestroy } from './addons.js';

/**
 * At platd start, before the API serves, add-ons are reconciled like dynos:
 * one a crash left half-made is removed (its row carried no config var
 * yet), a destroy cut short is finished, and add-on containers or volumes
 * of this instance that no row owns are removed. Add-ons made when app
 * networks were named by app name join the app's network named by its id,
 * so dynos started from now on (under any name) reach them.
 */
export async function recoverAddons(platform: Platform): Promise<void> {
  const { settings, sql } = platform;
  const rows = await allAddons(sql);
  const plan = planAddonRecovery(settings.instance, rows, await platform.addons.objects());
  for (const addon of plan.discard) {
    await discardAddon(platform, addon);
    platform.log(`removed ${addon.name}, whose provisioning platd did not finish`);
  }
  for (const addon of plan.finish) {
    await finishDestroy(platform, addon);
    platform.log(`finished destroying ${addon.name}`);
  }
  for (const object of plan.orphans) {
    await platform.addons.removeObject(object);
    const owner = object.labels[ADDON_LABELS.name];
    platform.log(`removed ${object.kind} ${object.ref.slice(0, 24)} of add-on ${owner}, which no add-on owns`);
  }
  for (const addon of rows.filter(
    (row) => row.state === 'active' && row.legacy_names && resolvePlan(row.provider).provider.service,
  )) {
    try {
      const network = networkName(settings.instance, addon.app_id);
      await platform.runtime.ensureNetwork(network, '', addon.app_id);
      if (await platform.addons.connect(addon, network))
        platform.log(`${addon.name} joined its app's network ${network}`);
    } catch (error) {
      platform.log(`could not put ${addon.name} on its app's network: ${(error as Error).message}`);
    }
  }
  await platform.runtime.removeOrphanNetworks(() => appIds(sql));
}
