import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { branchHead, repoPath } from '@plat/builder';
import { PlatError, type ReviewApp } from '@plat/core';
import { runHost } from '@plat/core/host-process';
import { appForUser } from '../auth/access.js';
import type { Platform } from '../platform.js';
import { checkBranch, reviewAppExpiry, reviewAppName } from '../pipelines/review-app-plan.js';
import { findApp, findAppById, type AppRow } from '../store/apps.js';
import {
  expiredReviewApps,
  findReviewApp,
  insertReviewApp,
  pipelineApps,
  shareReviewApp,
  type PipelineRow,
  type ReviewAppRow,
} from '../store/pipelines.js';
import type { User } from '../store/users.js';
import { runPrPredestroy } from './app-manifest.js';
import { createApp, destroyApp } from './apps.js';
import { deploy, internalFailure } from './deploy.js';

/**
 * Review apps: a temporary app per branch of the pipeline's staging app,
 * built from that branch (its app.json applied, as on any app's first
 * deploy), destroyed with its add-ons on request or once its TTL passes,
 * app.json's `pr-predestroy` script first.
 */

export function presentReviewApp(platform: Platform, row: ReviewAppRow): ReviewApp {
  const { routerPort } = platform.settings;
  return {
    app: row.app_name,
    pipeline: row.pipeline_name,
    source_app: row.source_app_name,
    branch: row.branch,
    commit: row.source_commit,
    web_url: `http://${platform.controller.hostnameOf(row.app_name)}${routerPort === 80 ? '' : `:${routerPort}`}/`,
    expires_at: row.expires_at?.toISOString() ?? null,
    created_at: row.created_at.toISOString(),
  };
}

/** The app review apps are built from: the one named, else the pipeline's only staging app. */
async function sourceApp(platform: Platform, pipeline: PipelineRow, named: string | undefined): Promise<string> {
  const apps = await pipelineApps(platform.sql, pipeline.id);
  if (named) {
    const app = apps.find((candidate) => candidate.app_name === named && candidate.stage !== 'review');
    if (!app) throw new PlatError('invalid_params', `${named} is not an app of the pipeline ${pipeline.name}.`);
    return app.app_name;
  }
  const staging = apps.filter((app) => app.stage === 'staging');
  if (staging.length === 1) return staging[0]!.app_name;
  throw new PlatError(
    'invalid_params',
    staging.length === 0
      ? `The pipeline ${pipeline.name} has no staging app to build review apps from: ` +
          `plat pipelines:add ${pipeline.name} -a APP --stage staging.`
      : `The pipeline ${pipeline.name} has ${staging.length} staging apps: say which with --app.`,
  );
}

export async function createReviewApp(
  platform: Platform,
  user: User,
  pipeline: PipelineRow,
  request: { branch: string; ttl_seconds?: number | undefined; app?: string | undefined },
  now = new Date(),
): Promise<ReviewApp> {
  const branch = checkBranch(request.branch);
  const expiresAt = reviewAppExpiry(now, request.ttl_seconds);
  const source = await appForUser(platform.sql, user, await sourceApp(platform, pipeline, request.app));
  const ref = `refs/heads/${branch}`;
  if (!(await branchHead(platform.reposDir, source.name, ref)))
    throw new PlatError(
      'not_found',
      `${source.name} has no branch ${branch}: push it there first (git push platform ${branch}).`,
    );
  const name = reviewAppName(pipeline.name, branch);
  if (await findApp(platform.sql, name))
    throw new PlatError(
      'conflict',
      `${name} already exists: destroy it first (plat review-apps:destroy ${name} --pipeline ${pipeline.name}).`,
    );
  const app = await createApp(platform, user, name);
  try {
    // The branch becomes the review app's main: later pushes to it fast-forward from there.
    const fetched = await runHost('git', [
      '--git-dir',
      repoPath(platform.reposDir, app.name),
      'fetch',
      '--quiet',
      '--no-tags',
      '--',
      repoPath(platform.reposDir, source.name),
      `+${ref}:refs/heads/main`,
    ]);
    if (fetched.code !== 0) throw new Error(`git fetch of ${branch} failed: ${fetched.stderr.trim()}`);
    const commit = await branchHead(platform.reposDir, app.name, 'refs/heads/main');
    if (!commit) throw new PlatError('not_found', `${source.name} has no branch ${branch}.`);
    await insertReviewApp(platform.sql, {
      appId: app.id,
      pipelineId: pipeline.id,
      sourceAppId: source.id,
      branch,
      commit,
      expiresAt,
    });
    await shareReviewApp(platform.sql, app.id, source.id);
    await buildReviewApp(platform, app, commit);
  } catch (error) {
    // A review app that never got its row is nobody's to reap: it goes now. One whose build failed stays, to be
    // looked at (plat builds:output), until it is destroyed or expires.
    if (!(await findReviewApp(platform.sql, app.id)))
      await destroyApp(platform, app, user, app.name).catch((cleanup: Error) =>
        platform.log(`removing the half-made review app ${app.name} failed: ${cleanup.message}`),
      );
    throw error;
  }
  return presentReviewApp(platform, (await findReviewApp(platform.sql, app.id))!);
}

/**
 * Builds and releases the commit as a push to main would; app.json is applied as on any first deploy. The
 * tree is archived by git into a file only platd can read first, so a failing archive is told apart from
 * a failing build.
 */
async function buildReviewApp(platform: Platform, app: AppRow, commit: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'plat-review-'));
  try {
    const tar = join(dir, 'source.tar');
    const gitDir = repoPath(platform.reposDir, app.name);
    const archived = await runHost('git', ['--git-dir', gitDir, 'archive', '--format=tar', '-o', tar, commit]);
    if (archived.code !== 0) throw new Error(`git archive of ${commit} failed: ${archived.stderr.trim()}`);
    await deploy(platform, { app, commit, source: createReadStream(tar), emit: () => {} });
  } catch (error) {
    const message =
      error instanceof PlatError ? error.message : internalFailure(platform, `review app ${app.name}`, error);
    throw new PlatError(
      error instanceof PlatError ? error.id : 'build_failed',
      `The review app ${app.name} was made, but its build failed: ${message} ` +
        `(plat builds:output -a ${app.name}; it is destroyed when its TTL passes, or by plat review-apps:destroy).`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Destroys a review app: its pr-predestroy script (app.json) first, then the app with its add-ons. */
export async function destroyReviewApp(
  platform: Platform,
  actor: User,
  pipeline: PipelineRow,
  app: AppRow,
): Promise<void> {
  const row = await findReviewApp(platform.sql, app.id);
  if (!row || row.pipeline_id !== pipeline.id)
    throw new PlatError('not_found', `${app.name} is not a review app of the pipeline ${pipeline.name}.`);
  await removeReviewApp(platform, actor, app);
}

async function removeReviewApp(platform: Platform, actor: User, app: AppRow): Promise<void> {
  if (!app.destroying) {
    const onLine = (line: string) => platform.logs.write(app.id, { source: 'plat', dyno: 'predestroy', line });
    const code = await runPrPredestroy(platform, app, onLine).catch((error: Error) => {
      platform.log(`pr-predestroy of ${app.name} failed to run: ${error.message}`);
      return -1;
    });
    // A failing script does not keep the app: it is temporary by design, and its TTL must end it.
    if (code !== undefined && code !== 0)
      platform.log(`pr-predestroy of ${app.name} exited ${code}; destroying anyway`);
  }
  await destroyApp(platform, app, actor, app.name);
}

/** Destroys the review apps whose TTL has passed; resolves with their names. */
export async function reapReviewApps(platform: Platform, now = new Date()): Promise<string[]> {
  const reaped: string[] = [];
  for (const row of await expiredReviewApps(platform.sql, now)) {
    const app = await findAppById(platform.sql, row.app_id);
    if (!app) continue;
    try {
      await removeReviewApp(platform, { id: app.owner_id, email: 'platd (review app TTL)', admin: true }, app);
      platform.log(`review app ${app.name} expired and was destroyed`);
      reaped.push(app.name);
    } catch (error) {
      platform.log(`destroying the expired review app ${app.name} failed (tried again): ${(error as Error).message}`);
    }
  }
  return reaped;
}

/** platd's periodic check for expired review apps. */
export class ReviewAppReaper {
  readonly #platform: Platform;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> = Promise.resolve();

  constructor(platform: Platform) {
    this.#platform = platform;
  }

  start(intervalMs = 60_000): void {
    const tick = () => {
      this.#running = this.#running.then(() => reapReviewApps(this.#platform)).catch(() => {});
    };
    tick();
    this.#timer = setInterval(tick, intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
  }
}
