import { PlatError, type ProcessTypes, type Release } from '@plat/core';
import type { Platform } from '../platform.js';
import { configVars, replaceConfigVars, type AppRow } from '../store/apps.js';
import {
  currentRelease,
  findRelease,
  insertRelease,
  listReleases,
  releaseImagesInUse,
  setReleaseStatus,
  type ReleaseRow,
} from '../store/releases.js';
import { releaseEvent } from '../webhooks/resources.js';
import { PhaseTimer } from './phase-timer.js';

export interface ReleaseInput {
  description: string;
  /** Null for a config release before the app's first deploy: it records the config and runs nothing. */
  image: string | null;
  processTypes: ProcessTypes;
  config: Record<string, string>;
  buildId?: string | null;
  /** Where the release phase's output goes (the pushing terminal). */
  onLine?: (line: string) => void;
  /** Who caused it, for the api:release webhook event. */
  user?: { id: string; email: string };
  /** The deploy's clock, when a push made it; a release of its own is timed from its start. */
  timer?: PhaseTimer;
}

const RELEASE_PHASES = ['release', 'start', 'ready', 'route', 'launch'] as const;

/**
 * Makes release vN and rolls it out; it becomes current only once its
 * dynos serve. Call inside `platform.releases.run(app.name, ...)`, so
 * versions and rollouts of one app keep the same order. A release without
 * an image has nothing to run: it succeeds at once, and no dyno changes.
 */
export async function cutRelease(platform: Platform, app: AppRow, input: ReleaseInput): Promise<ReleaseRow> {
  const timer = input.timer ?? new PhaseTimer();
  const release = await insertRelease(platform.sql, app.id, input);
  platform.webhooks.emit(releaseEvent(app, release, 'create', input.user));
  try {
    if (release.image) {
      await runReleasePhase(platform, app, release, input.onLine ?? (() => {}));
      timer.mark('release');
      await platform.controller.converge(app.name, release, {
        timer,
        // Current within the app's converge turn: a converge queued behind this one must run it.
        serving: async () => {
          timer.mark('launch');
          await setReleaseStatus(platform.sql, release.id, 'succeeded', timer.phases(RELEASE_PHASES));
        },
      });
    } else {
      await setReleaseStatus(platform.sql, release.id, 'succeeded', timer.phases(RELEASE_PHASES));
    }
  } catch (error) {
    await setReleaseStatus(platform.sql, release.id, 'failed', timer.phases(RELEASE_PHASES));
    platform.logs.write(app.id, {
      source: 'plat',
      dyno: 'api',
      line: `Release v${release.version} failed: ${(error as Error).message.split('\n')[0]}`,
    });
    platform.webhooks.emit(releaseEvent(app, { ...release, status: 'failed' }, 'update', input.user));
    throw error;
  }
  const timings = timer.phases(RELEASE_PHASES);
  platform.logs.write(app.id, {
    source: 'plat',
    dyno: 'api',
    line: `Release v${release.version} created: ${release.description}`,
  });
  platform.webhooks.emit(releaseEvent(app, { ...release, status: 'succeeded' }, 'update', input.user));
  return { ...release, status: 'succeeded', timings };
}

/**
 * The Procfile's `release:` command, once per release before its dynos
 * start (migrations, asset uploads). A failure fails the release, and the
 * dynos already serving keep serving.
 */
async function runReleasePhase(
  platform: Platform,
  app: AppRow,
  release: ReleaseRow,
  onLine: (line: string) => void,
): Promise<void> {
  const command = release.process_types.release;
  if (!command) return;
  onLine(`-----> Running release command: ${command}`);
  const code = await platform.controller.oneOffs.run(app, release, {
    kind: 'release',
    command,
    onLine: (line) => onLine(`       ${line}`),
  });
  if (code !== 0)
    throw new PlatError(
      'release_failed',
      `Release command failed (exit ${code}): ${command}. v${release.version} was not deployed.`,
    );
}

/**
 * A new release of the current image with the app's config as it is now.
 * Before the app's first deploy, as on Heroku, a release with no image:
 * the release list stays the app's whole config history.
 */
export async function releaseConfig(
  platform: Platform,
  app: AppRow,
  description: string,
  user?: { id: string; email: string },
): Promise<ReleaseRow> {
  const current = await currentRelease(platform.sql, app.id);
  return cutRelease(platform, app, {
    description,
    image: current?.image ?? null,
    processTypes: current?.process_types ?? {},
    config: await configVars(platform.sql, app.id),
    buildId: current?.build_id ?? null,
    ...(user ? { user } : {}),
  });
}

export async function rollback(platform: Platform, app: AppRow, ref: string | number): Promise<ReleaseRow> {
  const target = await findRelease(platform.sql, app.id, ref);
  if (!target) throw new PlatError('not_found', `Couldn't find release ${ref} of ${app.name}.`);
  if (target.status !== 'succeeded')
    throw new PlatError('invalid_params', `Release v${target.version} never ran, so it cannot be rolled back to.`);
  // Heroku refuses a release without a slug too: rolling back restores code, and it has none.
  if (!target.image)
    throw new PlatError(
      'invalid_params',
      `Release v${target.version} was made before ${app.name} had code (it has no image), so it cannot be ` +
        'rolled back to: change config with plat config:set, or roll back to a deploy.',
    );
  // Heroku's rule: a rollback restores the code and the config of that release.
  await replaceConfigVars(platform.sql, app.id, target.config);
  return cutRelease(platform, app, {
    description: `Rollback to v${target.version}`,
    image: target.image,
    processTypes: target.process_types,
    config: target.config,
    buildId: target.build_id,
  });
}

export function presentRelease(release: ReleaseRow, app: AppRow, currentId: string | undefined): Release {
  return {
    id: release.id,
    app: app.name,
    version: release.version,
    description: release.description,
    status: release.status,
    image: release.image,
    process_types: release.process_types,
    current: release.id === currentId,
    timings: release.timings ?? null,
    created_at: release.created_at.toISOString(),
  };
}

/** `image` as a list of one when it is one of this platd's app image tags (`plat/<instance>-<app>:<build>`). */
export function ownImageTag(platform: Platform, image: string | null | undefined): string[] {
  return image?.startsWith(`plat/${platform.settings.instance}-`) ? [image] : [];
}

/**
 * Keeps the images of the newest releases (PLAT_KEEP_RELEASES, and always
 * the current one) and removes the app's other images. Older releases stay
 * in the list but can no longer be rolled back to.
 */
export async function pruneImages(platform: Platform, app: AppRow): Promise<string[]> {
  const releases = await listReleases(platform.sql, app.id);
  const keep = new Set(
    releases
      .filter((release) => release.image)
      .slice(0, platform.settings.keepReleases)
      .map((release) => release.image!),
  );
  const current = await currentRelease(platform.sql, app.id);
  if (current?.image) keep.add(current.image);
  // An image built for this app also carries the tags of the apps it was
  // promoted to (same image id): what their releases run stays.
  for (const tag of await releaseImagesInUse(platform.sql, platform.settings.keepReleases)) keep.add(tag);
  // A promoted release runs under a tag of this app's on an image built for
  // another: that tag is this app's to remove too. Only app images' tags,
  // never one a release merely names (the stack image).
  const ownTags = [...new Set(releases.flatMap((release) => ownImageTag(platform, release.image)))];
  const removed: string[] = [];
  for (const tag of new Set([...(await platform.runtime.appImageTags(app.id)), ...ownTags])) {
    if (!keep.has(tag) && (await platform.runtime.removeImageTag(tag))) removed.push(tag);
  }
  return removed;
}
