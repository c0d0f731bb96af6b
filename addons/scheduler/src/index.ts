import { CronExpressionParser } from 'cron-parser';
import { PlatError, type AddonProvider } from '@plat/core';

/**
 * The scheduler: no server of its own; while it is attached, platd runs the
 * app's jobs as one-off dynos on their cron schedules.
 */
export const scheduler: AddonProvider = {
  name: 'scheduler',
  description: 'Runs commands in one-off dynos on a cron schedule',
  defaultAttachment: 'SCHEDULER',
  plans: [
    { name: 'standard', description: 'cron schedules, one run of a job at a time', persistent: false, memoryMb: 0 },
  ],
  defaultPlan: 'standard',
  credentials: () => ({}),
};

/**
 * When a schedule next fires after `after`. Five fields (minute first) as in
 * crontab, or six with seconds first; times are UTC.
 */
export function nextRun(schedule: string, after: Date): Date {
  try {
    return CronExpressionParser.parse(schedule, { currentDate: after, tz: 'UTC' }).next().toDate();
  } catch (error) {
    throw new PlatError(
      'invalid_params',
      `Invalid schedule ${JSON.stringify(schedule)}: ${(error as Error).message}. ` +
        'Use cron syntax, e.g. "*/10 * * * *".',
    );
  }
}

export function checkSchedule(schedule: string): string {
  const fields = schedule.trim().split(/\s+/);
  if (fields.length < 5 || fields.length > 6)
    throw new PlatError(
      'invalid_params',
      `Invalid schedule ${JSON.stringify(schedule)}: expected 5 fields (m h dom mon dow), e.g. "*/10 * * * *".`,
    );
  nextRun(schedule, new Date());
  return fields.join(' ');
}

/**
 * The shortest gap, in seconds, between runs of a schedule, from its next
 * `runs` runs: a six-field schedule can fire every second.
 */
export function shortestIntervalSeconds(schedule: string, from = new Date(), runs = 100): number {
  const times = CronExpressionParser.parse(schedule, { currentDate: from, tz: 'UTC' });
  let previous = times.next().getTime();
  let shortest = Infinity;
  for (let i = 1; i < runs && times.hasNext(); i += 1) {
    const next = times.next().getTime();
    shortest = Math.min(shortest, (next - previous) / 1000);
    previous = next;
  }
  return shortest;
}

/** Whether the schedule can run twice within `seconds` (a minimum interval the operator set). */
export function firesMoreOftenThan(schedule: string, seconds: number, from = new Date()): boolean {
  const secondValues = CronExpressionParser.parse(schedule, { currentDate: from, tz: 'UTC' }).fields.second.values
    .length;
  // One run a minute at most unless the seconds field names two or more; sampling is slow, so only then look closer.
  if (seconds <= 60) return secondValues > 1 && shortestIntervalSeconds(schedule, from, secondValues + 2) < seconds;
  return shortestIntervalSeconds(schedule, from) < seconds;
}
