import { PlatError } from '@plat/core';
import { SIZES } from '../controller/dyno-spec.js';
import type { Platform } from '../platform.js';
import { bumpGeneration, formation, upsertFormation, type AppRow } from '../store/apps.js';
import { currentRelease } from '../store/releases.js';
import type { User } from '../store/users.js';
import { audit } from './audit.js';
import { checkDynoQuota } from './quotas.js';
import { checkFormationRoom } from './network-capacity.js';
import { parseSubnet } from '../controller/network-pool.js';
import { blockOf } from '../store/network-blocks.js';
import { formationEvent } from '../webhooks/resources.js';

export interface FormationUpdate {
  type: string;
  quantity?: number;
  size?: string;
}

export const MAX_QUANTITY = 100;

export interface FormationEntry {
  type: string;
  quantity: number;
  size: string;
  command: string | null;
}

export async function listFormation(platform: Platform, app: AppRow): Promise<FormationEntry[]> {
  const rows = await formation(platform.sql, app.id);
  const release = await currentRelease(platform.sql, app.id);
  const types = new Set([
    ...rows.map((row) => row.type),
    ...Object.keys(release?.process_types ?? {}).filter((t) => t !== 'release'),
  ]);
  return [...types].sort().map((type) => {
    const row = rows.find((r) => r.type === type);
    return {
      type,
      quantity: row?.quantity ?? (type === 'web' ? 1 : 0),
      size: row?.size ?? 'standard',
      command: release?.process_types[type] ?? null,
    };
  });
}

export async function updateFormation(
  platform: Platform,
  app: AppRow,
  user: User,
  updates: FormationUpdate[],
): Promise<FormationEntry[]> {
  if (updates.length === 0) throw new PlatError('invalid_params', 'No formation changes given.');
  const release = await currentRelease(platform.sql, app.id);
  for (const update of updates) {
    if (release && !Object.hasOwn(release.process_types, update.type)) {
      throw new PlatError(
        'not_found',
        `Couldn't find that process type (${update.type}) in the current release of ${app.name}.`,
      );
    }
    if (update.type === 'release')
      throw new PlatError('invalid_params', 'The release process runs once per release; it cannot be scaled.');
    if (update.size !== undefined && !Object.hasOwn(SIZES, update.size)) {
      throw new PlatError(
        'invalid_params',
        `Unknown dyno size ${JSON.stringify(update.size)}: use ${Object.keys(SIZES).join(', ')}.`,
      );
    }
    if (
      update.quantity !== undefined &&
      (!Number.isInteger(update.quantity) || update.quantity < 0 || update.quantity > MAX_QUANTITY)
    ) {
      throw new PlatError('invalid_params', `Quantity must be a whole number from 0 to ${MAX_QUANTITY}.`);
    }
    if (update.quantity !== undefined) checkDynoQuota(update.type, update.quantity, platform.settings.maxDynosPerType);
  }
  await checkNetworkRoom(platform, app, updates);
  for (const update of updates) await upsertFormation(platform.sql, app.id, update);
  await audit(platform, app, user, 'formation.update', { updates });
  const changed = new Set(updates.map((update) => update.type));
  const stored = (await listFormation(platform, app)).filter((entry) => changed.has(entry.type));
  for (const event of formationEvent(app, stored, user)) platform.webhooks.emit(event);
  await platform.controller.converge(app.name);
  return listFormation(platform, app);
}

/** The formation after `updates` must fit the app's own block (the pool's block size for an app without one). */
async function checkNetworkRoom(platform: Platform, app: AppRow, updates: FormationUpdate[]): Promise<void> {
  const current = (await listFormation(platform, app)).map(({ type, quantity }) => ({ type, quantity }));
  const quantities = new Map(current.map((entry) => [entry.type, entry.quantity]));
  for (const update of updates) if (update.quantity !== undefined) quantities.set(update.type, update.quantity);
  const recorded = await blockOf(platform.sql, app.id);
  const blockPrefix = (recorded && parseSubnet(recorded)?.prefix) || platform.settings.networkPool.blockPrefix;
  checkFormationRoom(
    [...quantities].map(([type, quantity]) => ({ type, quantity })),
    { blockPrefix, maxOneOffs: platform.settings.maxOneOffs },
    current,
  );
}

/** Restarts all dynos, one process type, or one dyno (`web.2`); web dynos roll with no downtime. */
export async function restartDynos(platform: Platform, app: AppRow, user: User, target?: string): Promise<void> {
  await audit(platform, app, user, 'dynos.restart', { target: target ?? 'all' });
  if (target && /\.\d+$/.test(target)) return platform.controller.restartDyno(app.name, target);
  await bumpGeneration(platform.sql, app.id, target ? [target] : 'all');
  await platform.controller.converge(app.name);
}
