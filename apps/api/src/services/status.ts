import { IMAGE_LABELS, STACK_IMAGE } from '@plat/core';
import type { Platform } from '../platform.js';
import { pingDatabase } from '../store/database.js';

export interface Check {
  ok: boolean;
  detail: string;
}

async function check(work: () => Promise<string>): Promise<Check> {
  try {
    return { ok: true, detail: await work() };
  } catch (error) {
    return { ok: false, detail: (error as Error).message };
  }
}

/** The platform's health: each part platd depends on, checked now. */
export async function platformStatus(
  platform: Platform,
): Promise<{ status: 'ok' | 'degraded'; checks: Record<string, Check> }> {
  const checks = {
    database: await check(async () => {
      await pingDatabase(platform.sql);
      return 'answers';
    }),
    docker: await check(async () => {
      await platform.runtime.ping();
      return 'answers';
    }),
    router: await check(async () => {
      const pid = platform.router.runningPid();
      if (!pid) throw new Error('nginx is not running');
      return `nginx pid ${pid} on port ${platform.settings.routerPort}`;
    }),
    stack: await check(async () => {
      const labels = await platform.images.labels(STACK_IMAGE);
      if (!labels) throw new Error(`${STACK_IMAGE} is missing: run infra/setup.sh`);
      return `${STACK_IMAGE} (recipe ${labels[IMAGE_LABELS.stackRecipe] ?? 'unknown'})`;
    }),
  };
  return { status: Object.values(checks).every((c) => c.ok) ? 'ok' : 'degraded', checks };
}
