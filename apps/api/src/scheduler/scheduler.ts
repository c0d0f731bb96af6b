import { nextRun } from '@plat/addon-scheduler';
import type { Platform } from '../platform.js';
import { currentRelease } from '../store/releases.js';
import { findAppById } from '../store/apps.js';
import { claimRun, dueJobs, finishRun, nextDueAt, onJobsChanged, resetRunning } from '../store/scheduler-jobs.js';
import { captureBackup } from '../services/pg-backups.js';
import { findAddon } from '../store/addons.js';
import { verifyPending } from '../backups/verify.js';

/** The longest sleep: a clock change, another platd's jobs or a missed wake are picked up by then. */
export const MAX_SLEEP_MS = 60_000;
/** The shortest: a timer that fires a little early looks again soon, not in a tight loop. */
export const MIN_SLEEP_MS = 100;
/** After the state store failed to answer, as often as the scheduler looked before it slept. */
const RETRY_MS = 1000;

/** Time and the one timer the scheduler sleeps on: tests hold them in their hand. */
export interface SchedulerClock {
  now(): Date;
  /** Calls `fire` in `ms` (not keeping the process alive); returns the timer's cancel. */
  setTimer(fire: () => void, ms: number): () => void;
}

const systemClock: SchedulerClock = {
  now: () => new Date(),
  setTimer(fire, ms) {
    const timer = setTimeout(fire, ms);
    timer.unref();
    return () => clearTimeout(timer);
  },
};

/**
 * Runs the apps' scheduler jobs: it takes the jobs that are due, moves each
 * to its next time, and starts a one-off dyno unless the job's previous run
 * is still going (then the run is skipped and said so). Between passes it
 * sleeps until the earliest job is due (at most MAX_SLEEP_MS), not polling
 * the state store; a job added or rescheduled wakes it (onJobsChanged).
 */
export class Scheduler {
  readonly #platform: Platform;
  readonly #clock: SchedulerClock;
  #cancelTimer: (() => void) | undefined;
  #stopListening: (() => void) | undefined;
  #started = false;
  #passing = false;
  #again = false;
  #ticking = false;

  constructor(platform: Platform, clock: SchedulerClock = systemClock) {
    this.#platform = platform;
    this.#clock = clock;
  }

  async start(): Promise<void> {
    await resetRunning(this.#platform.sql);
    await this.#resumeBackupChecks();
    this.#started = true;
    this.#stopListening ??= onJobsChanged(() => this.wake());
    this.wake();
  }

  /** A pass under way ends without setting a timer; runs it started go on. */
  stop(): void {
    this.#started = false;
    this.#stopListening?.();
    this.#stopListening = undefined;
    this.#cancelTimer?.();
    this.#cancelTimer = undefined;
  }

  /** A job may have come due sooner than the scheduler sleeps: look now. */
  wake(): void {
    if (!this.#started) return;
    if (this.#passing) {
      // The pass under way may have read the jobs before the change: it looks once more.
      this.#again = true;
      return;
    }
    this.#cancelTimer?.();
    this.#cancelTimer = undefined;
    this.#passing = true;
    void this.#pass();
  }

  /** Ticks, then sleeps until the next job is due; again at once if woken meanwhile. */
  async #pass(): Promise<void> {
    let sleep = MAX_SLEEP_MS;
    try {
      do {
        this.#again = false;
        await this.tick(this.#clock.now());
        sleep = await this.#untilNextDue();
      } while (this.#again && this.#started);
    } finally {
      this.#passing = false;
    }
    if (this.#started) this.#cancelTimer = this.#clock.setTimer(() => this.wake(), sleep);
  }

  async #untilNextDue(): Promise<number> {
    try {
      const next = await nextDueAt(this.#platform.sql);
      if (!next) return MAX_SLEEP_MS;
      const wait = next.getTime() - this.#clock.now().getTime();
      return Math.min(Math.max(wait, MIN_SLEEP_MS), MAX_SLEEP_MS);
    } catch (error) {
      this.#platform.log(`scheduler: reading the next due job failed: ${(error as Error).message}`);
      return RETRY_MS;
    }
  }

  async tick(now = new Date()): Promise<void> {
    if (this.#ticking) return;
    this.#ticking = true;
    try {
      for (const job of await dueJobs(this.#platform.sql, now)) {
        const next = nextRun(job.schedule, now);
        if (!(await claimRun(this.#platform.sql, job.id, next))) {
          this.#platform.controller.event(
            job.app_name,
            'scheduler',
            `Skipped \`${job.command}\`: its previous run is still going`,
          );
          continue;
        }
        const run =
          job.kind === 'pg_backup'
            ? this.#backup(job.app_id, job.id, job.command)
            : this.#run(job.app_id, job.id, job.command);
        void run.catch((error: Error) => this.#platform.log(`scheduler job ${job.id} failed: ${error.message}`));
      }
    } catch (error) {
      this.#platform.log(`scheduler tick failed: ${(error as Error).message}`);
    } finally {
      this.#ticking = false;
    }
  }

  /**
   * Checks cut short by platd's stop left scratch servers behind: they go
   * first. Then backups still pending (captured before checks existed, or
   * checked when platd stopped) are checked in the background, one by one:
   * each is queued only once the one before is done (verifyPending), so a
   * check a user asks for meanwhile waits behind at most one of them, not
   * the whole backlog.
   */
  async #resumeBackupChecks(): Promise<void> {
    const { addons, log } = this.#platform;
    const swept = await addons.sweepScratch().catch((error: Error) => {
      log(`backup checks: sweeping scratch servers failed: ${error.message}`);
      return 0;
    });
    if (swept > 0) log(`backup checks: removed ${swept} scratch server(s) left by a check cut short`);
    void verifyPending(this.#platform).catch((error: Error) => log(`backup checks: ${error.message}`));
  }

  async #backup(appId: string, jobId: string, addonName: string): Promise<void> {
    let code = 1;
    try {
      const app = await findAppById(this.#platform.sql, appId);
      const addon = app && (await findAddon(this.#platform.sql, app.id, addonName));
      if (!app || !addon) return;
      await captureBackup(this.#platform, app, addon).catch((error: Error) => {
        // Said once while it keeps failing: the alert stays open until a backup succeeds.
        const message = `The scheduled backup of ${addon.name} failed: ${error.message}`;
        void this.#platform.alerts.raise({ appId: app.id, kind: 'backup_failed', subject: addon.name, message });
        throw error;
      });
      code = 0;
    } finally {
      await finishRun(this.#platform.sql, jobId, code);
    }
  }

  async #run(appId: string, jobId: string, command: string): Promise<void> {
    const { sql, controller } = this.#platform;
    let code = -1;
    try {
      const app = await findAppById(this.#platform.sql, appId);
      const release = app && (await currentRelease(sql, app.id));
      if (!app || !release?.image) return;
      controller.event(app.name, 'scheduler', `Running \`${command}\``);
      code = await controller.oneOffs.run(app, release, { kind: 'scheduler', command, onLine: () => {} });
      controller.event(app.name, 'scheduler', `\`${command}\` exited with status ${code}`);
    } finally {
      await finishRun(sql, jobId, code);
    }
  }
}
