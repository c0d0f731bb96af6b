/**
 * Which Docker objects (containers, volumes) belong to which add-on: their
 * names, labels and the label filters that find them. Pure, so the rules
 * that keep one app's add-on from touching another's are unit tested.
 */
import { ADDON_LABELS, instanceFilter, LABELS, labelFilter } from '@plat/core';

/** What the runtime needs to know of an add-on row. */
export interface AddonHandle {
  id: string;
  name: string;
  app_id: string;
  /** Made before add-ons were named by id: named plat-<instance>-addon-<name>, no id label. */
  legacy_names: boolean;
}

export function addonLabels(instance: string, addon: AddonHandle, appName: string): Record<string, string> {
  return {
    [LABELS.instance]: instance,
    [LABELS.app]: appName,
    [LABELS.appId]: addon.app_id,
    [ADDON_LABELS.name]: addon.name,
    [ADDON_LABELS.id]: addon.id,
  };
}

/**
 * A Docker label filter matching this add-on's objects and nothing else:
 * its id, or for an add-on made before ids, its name together with its app.
 * Never a name prefix.
 */
export function addonFilter(instance: string, addon: AddonHandle): string[] {
  if (!addon.legacy_names) return [instanceFilter(instance), labelFilter(ADDON_LABELS.id, addon.id)];
  return [
    instanceFilter(instance),
    labelFilter(LABELS.appId, addon.app_id),
    labelFilter(ADDON_LABELS.name, addon.name),
  ];
}

/** Whether an object with these labels is one of this add-on's. */
export function isAddonObject(labels: Record<string, string>, instance: string, addon: AddonHandle): boolean {
  return addonFilter(instance, addon).every((entry) => {
    const at = entry.indexOf('=');
    return labels[entry.slice(0, at)] === entry.slice(at + 1);
  });
}

export interface LabelledObject {
  kind: 'container' | 'volume';
  /** Container id or volume name. */
  ref: string;
  labels: Record<string, string>;
}

export interface AddonRecovery<T extends AddonHandle> {
  /** Half-made add-ons (platd stopped mid-provisioning): remove their objects and rows. */
  discard: T[];
  /** Add-ons whose destroy was cut short: finish it. */
  finish: T[];
  /** This instance's add-on objects that no row owns. */
  orphans: LabelledObject[];
}

/**
 * What a platd start does about add-ons: rows left 'provisioning' are
 * undone, rows left 'destroying' are finished, and labelled objects that no
 * row claims (made by a platd that died before it wrote or after it deleted
 * the row) are removed.
 */
export function planAddonRecovery<T extends AddonHandle & { state: string }>(
  instance: string,
  rows: T[],
  objects: LabelledObject[],
): AddonRecovery<T> {
  const mine = objects.filter(
    (object) => object.labels[LABELS.instance] === instance && object.labels[ADDON_LABELS.name] !== undefined,
  );
  return {
    discard: rows.filter((row) => row.state === 'provisioning'),
    finish: rows.filter((row) => row.state === 'destroying'),
    orphans: mine.filter((object) => !rows.some((row) => isAddonObject(object.labels, instance, row))),
  };
}
