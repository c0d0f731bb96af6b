import { nextRun } from '@plat/addon-scheduler';
import type { Platform } from '../platform.js';
import { currentRelease } from '../store/releases.js';
import { findAppById } from '../store/apps.js';
import { claimRun, dueJobs, finishRun, resetRunning } from '../store/scheduler-jobs.js';
import { captureBackup } from '../services/pg-backups.js';
import { findAddon } from '../store/addons.js';
import { verifyPending } from '../backups/verify.js';

/**
 * Runs the apps' scheduler jobs: every second it takes the jobs that are
 * due, moves each to its next time, and starts a one-off dyno unless the
 * job's previous run is still going (then the run is skipped and said so).
 */
export class Scheduler {
  readonly #platform: Platform;
  #timer: NodeJS.Timeout | undefined;
  #ticking = false;

  constructor(platform: Platform) {
    this.#platform = platform;
  }

  async start(intervalMs = 1000): Promise<void> {
    await resetRunning(this.#platform.sql);
    await this.#resumeBackupChecks();
    this.#timer = setInterval(() => void this.tick(), intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
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
      code = await controller.runOneOff(app, release, { kind: 'scheduler', command, onLine: () => {} });
      controller.event(app.name, 'scheduler', `\`${command}\` exited with status ${code}`);
    } finally {
      await finishRun(sql, jobId, code);
    }
  }
}
