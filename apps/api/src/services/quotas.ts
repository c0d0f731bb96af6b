import { firesMoreOftenThan, shortestIntervalSeconds } from '@plat/addon-scheduler';
import { KeyedQueue, PlatError } from '@plat/core';

/**
 * Quotas that keep one tenant from taking the host (PLAT_MAX_* settings;
 * concurrent one-offs are counted in controller/one-off-slots.ts).
 * Each check throws quota_exceeded (403) with what the limit is and what to
 * do; checks run before anything is created, so a refusal changes nothing.
 */

/**
 * A count and the insert it allows run one at a time per owner or app, so
 * parallel requests cannot all pass the count before any of them inserts.
 * (One platd owns its state store: an in-process queue is enough.)
 */
const counted = new KeyedQueue();

export function withinQuota<T>(key: string, task: () => Promise<T>): Promise<T> {
  return counted.run(key, task);
}

export function checkAppQuota(owned: number, max: number): void {
  if (owned >= max) {
    throw new PlatError(
      'quota_exceeded',
      `You own ${owned} apps, the most allowed (PLAT_MAX_APPS_PER_USER=${max}): destroy one first.`,
    );
  }
}

export function checkDynoQuota(type: string, quantity: number, max: number): void {
  if (quantity > max) {
    throw new PlatError(
      'quota_exceeded',
      `${type} cannot have ${quantity} dynos: at most ${max} per process type (PLAT_MAX_DYNOS_PER_TYPE).`,
    );
  }
}

export function checkJobQuota(jobs: number, max: number): void {
  if (jobs >= max) {
    throw new PlatError(
      'quota_exceeded',
      `This app has ${jobs} scheduler jobs, the most allowed (PLAT_MAX_SCHEDULER_JOBS=${max}): remove one first.`,
    );
  }
}

/** `schedule` must already be a valid cron expression (checkSchedule). */
export function checkJobInterval(schedule: string, minSeconds: number, now = new Date()): void {
  if (!firesMoreOftenThan(schedule, minSeconds, now)) return;
  const every = shortestIntervalSeconds(schedule, now);
  throw new PlatError(
    'quota_exceeded',
    `${JSON.stringify(schedule)} runs every ${every} s; ` +
      `jobs may run at most once every ${minSeconds} s (PLAT_SCHEDULER_MIN_INTERVAL_SECONDS).`,
  );
}
