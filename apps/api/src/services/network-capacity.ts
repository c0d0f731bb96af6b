import { PlatError } from '@plat/core';

/**
 * Whether an app's dynos fit its network block. Every dyno, one-off and
 * add-on of an app takes an address of the app's block; past the last one
 * Docker refuses the container ("no available IPv4 addresses") and the dyno
 * crash-loops. So the block size is checked against the limits at start, and
 * each scale against the app's own block, before anything starts.
 */

/** Add-on containers an app may run beside its dynos (postgres, redis, scheduler, and spares). */
export const ADDON_ADDRESSES = 8;

/** Container addresses in a block: less the network and broadcast addresses and Docker's gateway. */
export function blockHosts(blockPrefix: number): number {
  return 2 ** (32 - blockPrefix) - 3;
}

/** Addresses kept free of the formation: concurrent one-offs (PLAT_MAX_ONE_OFFS) and add-ons. */
export function addressMargin(maxOneOffs: number): number {
  return maxOneOffs + ADDON_ADDRESSES;
}

/**
 * Addresses a formation needs at its peak: every dyno, the web dynos twice
 * (a rolling deploy starts the new ones before the old ones stop), and the margin.
 */
export function addressesNeeded(formation: { type: string; quantity: number }[], maxOneOffs: number): number {
  const dynos = formation.reduce((sum, entry) => sum + entry.quantity, 0);
  const web = formation.find((entry) => entry.type === 'web')?.quantity ?? 0;
  return dynos + web + addressMargin(maxOneOffs);
}

/** platd's start: the block must hold one process type at its limit, rolling, beside one-offs and add-ons. */
export function checkBlockRoom(limits: { blockPrefix: number; maxDynosPerType: number; maxOneOffs: number }): void {
  const { blockPrefix, maxDynosPerType, maxOneOffs } = limits;
  const needed = 2 * maxDynosPerType + addressMargin(maxOneOffs);
  const hosts = blockHosts(blockPrefix);
  if (hosts >= needed) return;
  throw new Error(
    `PLAT_NETWORK_BLOCK /${blockPrefix} holds ${hosts} containers, but an app may need ${needed} ` +
      `(${maxDynosPerType} dynos of a type, twice during a rolling deploy (PLAT_MAX_DYNOS_PER_TYPE), ` +
      `${maxOneOffs} one-offs (PLAT_MAX_ONE_OFFS) and ${ADDON_ADDRESSES} add-ons): ` +
      'set a smaller PLAT_NETWORK_BLOCK prefix, or lower those limits',
  );
}

/**
 * A scale: refused with quota_exceeded when the formation would not fit the
 * app's block. One that needs no more than `current` does (a scale down of an
 * app that outgrew a smaller block of old) is always let through.
 */
export function checkFormationRoom(
  formation: { type: string; quantity: number }[],
  limits: { blockPrefix: number; maxOneOffs: number },
  current: { type: string; quantity: number }[] = [],
): void {
  const needed = addressesNeeded(formation, limits.maxOneOffs);
  const hosts = blockHosts(limits.blockPrefix);
  if (needed <= hosts || needed <= addressesNeeded(current, limits.maxOneOffs)) return;
  const dynos = formation.reduce((sum, entry) => sum + entry.quantity, 0);
  throw new PlatError(
    'quota_exceeded',
    `${dynos} dynos do not fit this app's network: its /${limits.blockPrefix} block (PLAT_NETWORK_BLOCK) holds ` +
      `${hosts} containers, and these need ${needed} (web dynos twice during a rolling deploy, ` +
      `${addressMargin(limits.maxOneOffs)} kept for one-offs and add-ons): scale down another process type, ` +
      'or have the operator set a smaller PLAT_NETWORK_BLOCK prefix for new apps.',
  );
}
