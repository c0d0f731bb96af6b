/**
 * The scheduler's sleep between passes, on this machine's PostgreSQL server
 * and a clock the test holds: it sleeps until the next job is due (capped),
 * a new job wakes it, and stop() leaves no timer. No Docker: the jobs' apps
 * have no release, so a due command job is claimed and finished, not run.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Platform } from '../platform.js';
import { insertApp } from '../store/apps.js';
import type { Database } from '../store/database.js';
import { migrate } from '../store/migrate.js';
import { insertJob, listJobs, replaceBackupSchedule } from '../store/scheduler-jobs.js';
import { ensureUser } from '../store/users.js';
import { backends } from '../testing/backends.js';
import { MAX_SLEEP_MS, MIN_SLEEP_MS, Scheduler, type SchedulerClock } from './scheduler.js';

const server = backends.find((backend) => backend.name === 'PostgreSQL server')!;

interface Timer {
  ms: number;
  fire(): void;
  cancelled: boolean;
}

/** Time moves only when the test says; each timer the scheduler sets ends a pass, so the test can await it. */
class HandClock implements SchedulerClock {
  at: number;
  readonly timers: Timer[] = [];
  #waiting: ((timer: Timer) => void) | undefined;

  constructor(iso: string) {
    this.at = Date.parse(iso);
  }

  now(): Date {
    return new Date(this.at);
  }

  setTimer(fire: () => void, ms: number): () => void {
    const timer: Timer = { ms, fire, cancelled: false };
    this.timers.push(timer);
    this.#waiting?.(timer);
    this.#waiting = undefined;
    return () => {
      timer.cancelled = true;
    };
  }

  /** The next timer set; asked for before what sets it. */
  nextTimer(): Promise<Timer> {
    return new Promise((resolve) => {
      this.#waiting = resolve;
    });
  }

  /** As a timer would: the time comes, then the callback. */
  async fire(timer: Timer, at: string): Promise<Timer> {
    expect(timer.cancelled).toBe(false);
    this.at = Date.parse(at);
    const next = this.nextTimer();
    timer.fire();
    return next;
  }
}

describe('scheduler sleep', { timeout: 10_000 }, () => {
  let database: Database;
  let dispose: () => Promise<void>;
  let appId: string;
  let clock: HandClock;
  let scheduler: Scheduler;
  let lines: string[];

  beforeAll(async () => {
    ({ database, dispose } = await server.open());
    await migrate(database.sql);
    const user = await ensureUser(database.sql, 'sleep@example.com', false);
    appId = (await insertApp(database.sql, 'sleepy', user.id))!.id;
  });
  afterAll(async () => {
    await dispose?.();
  });

  beforeEach(async () => {
    await database.sql`delete from scheduler_jobs`;
    clock = new HandClock('2030-01-01T00:00:30Z');
    lines = [];
    // What the scheduler uses of a platform when no job has a release to run.
    const platform = {
      sql: database.sql,
      log: (line: string) => lines.push(line),
      controller: { event: (app: string, _source: string, line: string) => lines.push(`${app}: ${line}`) },
      addons: { sweepScratch: async () => 0 },
    } as unknown as Platform;
    scheduler = new Scheduler(platform, clock);
  });
  afterEach(async () => {
    scheduler.stop();
    // Runs started by a pass end on their own: none is left writing when the next test starts.
    await vi.waitFor(async () => {
      expect((await listJobs(database.sql, appId)).filter((job) => job.running)).toEqual([]);
    });
  });

  const addJob = (schedule: string, nextRunAt: string) =>
    insertJob(database.sql, { appId, schedule, command: 'tick', nextRunAt: new Date(nextRunAt) });
  const start = async () => {
    const first = clock.nextTimer();
    await scheduler.start();
    return first;
  };

  it('sleeps until the next job is due, runs it then, and sleeps until the one after', async () => {
    await addJob('* * * * *', '2030-01-01T00:01:00Z');
    const first = await start();
    expect(first.ms).toBe(30_000);
    // Fired a quarter second late: the job runs, and the next sleep ends at 00:02:00 sharp.
    const second = await clock.fire(first, '2030-01-01T00:01:00.250Z');
    expect(second.ms).toBe(59_750);
    const [job] = await listJobs(database.sql, appId);
    expect(job!.next_run_at).toEqual(new Date('2030-01-01T00:02:00Z'));
    expect(job!.last_run_at).not.toBeNull();
    expect(lines).toEqual([]);
  });

  it('sleeps at most a minute, with no jobs or with the next one hours away', async () => {
    expect((await start()).ms).toBe(MAX_SLEEP_MS);
    const woken = clock.nextTimer();
    await addJob('0 3 * * *', '2030-01-01T03:00:00Z');
    expect((await woken).ms).toBe(MAX_SLEEP_MS);
    // The capped sleep ends with nothing due: it only looks again.
    const again = await clock.fire(clock.timers.at(-1)!, '2030-01-01T00:01:30Z');
    expect(again.ms).toBe(MAX_SLEEP_MS);
    expect((await listJobs(database.sql, appId))[0]!.last_run_at).toBeNull();
  });

  it('is woken by a new job or backup schedule and brings its pass forward', async () => {
    await addJob('0 3 * * *', '2030-01-01T03:00:00Z');
    const asleep = await start();
    expect(asleep.ms).toBe(MAX_SLEEP_MS);

    let woken = clock.nextTimer();
    await addJob('* * * * *', '2030-01-01T00:00:35Z');
    const sooner = await woken;
    expect(asleep.cancelled).toBe(true);
    expect(sooner.ms).toBe(5_000);

    woken = clock.nextTimer();
    await replaceBackupSchedule(database.sql, {
      appId,
      addonName: 'postgres-a-1',
      schedule: '0 0 * * *',
      nextRunAt: new Date('2030-01-01T00:00:32Z'),
    });
    expect(sooner.cancelled).toBe(true);
    expect((await woken).ms).toBe(2_000);
  });

  it('runs a job added already due without waiting for its timer', async () => {
    await start();
    const woken = clock.nextTimer();
    const job = await addJob('*/5 * * * *', '2030-01-01T00:00:00Z');
    // Claimed by the pass the insert woke, no timer fired: moved to its next time, 00:05:00.
    expect((await woken).ms).toBe(MAX_SLEEP_MS);
    expect(clock.timers.every((timer) => timer.cancelled || timer === clock.timers.at(-1))).toBe(true);
    const [row] = await listJobs(database.sql, appId);
    expect(row).toMatchObject({ id: job.id, next_run_at: new Date('2030-01-01T00:05:00Z') });
    expect(row!.last_run_at).not.toBeNull();
  });

  it('sleeps at least the floor when the next job is a moment away', async () => {
    await addJob('* * * * *', '2030-01-01T00:00:30.040Z');
    expect((await start()).ms).toBe(MIN_SLEEP_MS);
  });

  it('skips a job whose previous run is still going, and says so', async () => {
    await addJob('* * * * *', '2030-01-01T00:01:00Z');
    await database.sql`update scheduler_jobs set running = true`;
    const first = await start();
    // start() freed it (nothing of a run before platd's start is watched); a run of this platd holds it again.
    await database.sql`update scheduler_jobs set running = true`;
    const second = await clock.fire(first, '2030-01-01T00:01:00.500Z');
    expect(second.ms).toBe(59_500);
    expect(lines).toEqual(['sleepy: Skipped `tick`: its previous run is still going']);
    expect((await listJobs(database.sql, appId))[0]!.next_run_at).toEqual(new Date('2030-01-01T00:02:00Z'));
    await database.sql`update scheduler_jobs set running = false`;
  });

  it('leaves no timer once stopped, and a new job does not wake it', async () => {
    const timer = await start();
    scheduler.stop();
    expect(timer.cancelled).toBe(true);
    await addJob('* * * * *', '2030-01-01T00:00:00Z');
    scheduler.wake();
    expect(clock.timers).toEqual([timer]);
    expect((await listJobs(database.sql, appId))[0]!.last_run_at).toBeNull();
  });
});
