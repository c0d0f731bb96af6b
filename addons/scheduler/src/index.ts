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
  plans: [{ name: 'standard', description: 'cron schedules, one run of a job at a time', persistent: false, memoryMb: 0 }],
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
    throw new PlatError('invalid_params', `Invalid schedule ${JSON.stringify(schedule)}: ${(error as Error).message}. Use cron syntax, e.g. "*/10 * * * *".`);
  }
}

export function checkSchedule(schedule: string): string {
  const fields = schedule.trim().split(/\s+/);
  if (fields.length < 5 || fields.length > 6) throw new PlatError('invalid_params', `Invalid schedule ${JSON.stringify(schedule)}: expected 5 fields (m h dom mon dow), e.g. "*/10 * * * *".`);
  nextRun(schedule, new Date());
  return fields.join(' ');
}
