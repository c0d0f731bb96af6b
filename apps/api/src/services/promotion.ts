import { join } from 'node:path';
import { repoPath } from '@plat/builder';
import { appImageTag, PlatError, type PipelineDiff, type Promotion } from '@plat/core';
import { runHost } from '@plat/core/host-process';
import { appForUser } from '../auth/access.js';
import type { Platform } from '../platform.js';
import { nextStage, planPromotion } from '../pipelines/promotion-plan.js';
import { configVars, type AppRow } from '../store/apps.js';
import { pipelineApps, type CoupledAppRow } from '../store/pipelines.js';
import { currentRelease, type ReleaseRow } from '../store/releases.js';
import type { User } from '../store/users.js';
import { audit } from './audit.js';
import { internalFailure } from './deploy.js';
import { appCoupling } from './pipelines.js';
import { cutRelease, pruneImages } from './releases.js';

/**
 * Promotion: the downstream apps get a new release of the very image the
 * source's current release runs (no build), with their own config vars; the
 * release phase runs in each, against its own add-ons. The image gets a tag
 * of each downstream app's, so that either app's image pruning or destroy
 * leaves it to the other while one of its releases needs it.
 */
export async function promote(
  platform: Platform,
  user: User,
  source: AppRow,
  to: string[] | undefined,
): Promise<Promotion> {
  const { sql } = platform;
  const { pipeline, stage } = await appCoupling(platform, source);
  const apps = await pipelineApps(sql, pipeline.id);
  const targetNames = planPromotion({
    pipeline: pipeline.name,
    source: { name: source.name, stage },
    apps: apps.map((app) => ({ name: app.app_name, stage: app.stage })),
    to,
  });
  const current = await currentRelease(sql, source.id);
  if (!current?.image)
    throw new PlatError('invalid_params', `${source.name} has no release to promote yet: deploy it first.`);
  const release = { ...current, image: current.image };
  // Every target is checked before any gets a release: the user must be allowed on each.
  const targets: AppRow[] = [];
  for (const name of targetNames) targets.push(await appForUser(sql, user, name));

  const results: Promotion['targets'] = [];
  for (const target of targets) {
    try {
      const made = await promoteTo(platform, source, release, target);
      await audit(platform, target, user, 'release.promote', { from: source.name, version: made.version });
      results.push({ app: target.name, status: 'succeeded', release: made.version, message: made.description });
    } catch (error) {
      const message =
        error instanceof PlatError ? error.message : internalFailure(platform, `promotion to ${target.name}`, error);
      results.push({ app: target.name, status: 'failed', release: null, message });
    }
  }
  const summary = results.map((result) => `${result.app} ${result.status}`).join(', ');
  platform.logs.write(source.id, {
    source: 'plat',
    dyno: 'api',
    line: `Promoted v${release.version} by ${user.email}: ${summary}`,
  });
  return { source: { app: source.name, release: release.version, image: release.image }, targets: results };
}

async function promoteTo(
  platform: Platform,
  source: AppRow,
  release: ReleaseRow & { image: string },
  target: AppRow,
): Promise<ReleaseRow> {
  // The build's id names the image in both apps; a release without a build (restored state) uses its own id.
  const tag = appImageTag(platform.settings.instance, target.name, release.build_id ?? release.id);
  const made = await platform.releases.run(target.name, async () => {
    await platform.runtime.tagImage(release.image, tag);
    return cutRelease(platform, target, {
      description: `Promote ${source.name} v${release.version}`,
      image: tag,
      processTypes: release.process_types,
      config: await configVars(platform.sql, target.id),
      buildId: release.build_id,
    });
  });
  await pruneImages(platform, target).catch((error: Error) =>
    platform.log(`pruning images of ${target.name} failed: ${error.message}`),
  );
  return made;
}

/** At most this many commits are listed each way. */
const DIFF_COMMITS = 100;
const SHA = /^[0-9a-f]{40,64}$/;

/**
 * pipelines:diff: the commits between the app's current release and each
 * downstream app's. Promoted releases share their commit with the source,
 * so the source's repository has it; a production app pushed to directly is
 * compared by reading its repository's objects as alternates (nothing is
 * written to either repository).
 */
export async function pipelineDiff(platform: Platform, source: AppRow): Promise<PipelineDiff> {
  const { pipeline, stage } = await appCoupling(platform, source);
  const apps = await pipelineApps(platform.sql, pipeline.id);
  const me = apps.find((app) => app.app_id === source.id);
  const next = nextStage(stage);
  const downstream = next ? apps.filter((app) => app.stage === next) : [];
  const targets: PipelineDiff['targets'] = [];
  for (const target of downstream) targets.push(await compare(platform, me, target));
  return { app: source.name, stage, commit: me?.commit ?? null, targets };
}

async function compare(
  platform: Platform,
  source: CoupledAppRow | undefined,
  target: CoupledAppRow,
): Promise<PipelineDiff['targets'][number]> {
  const base = { app: target.app_name, stage: target.stage, commit: target.commit, ahead: [], behind: [] };
  const from = source?.commit;
  const to = target.commit;
  if (!from || !SHA.test(from))
    return { ...base, comparable: false, message: `${source?.app_name ?? 'The app'} runs no release built from git.` };
  if (!to || !SHA.test(to))
    return { ...base, comparable: false, message: `${target.app_name} runs no release built from git yet.` };
  if (from === to) return { ...base, comparable: true, message: `${target.app_name} is up to date.` };
  const gitDir = repoPath(platform.reposDir, source!.app_name);
  const env = {
    ...process.env,
    GIT_ALTERNATE_OBJECT_DIRECTORIES: join(repoPath(platform.reposDir, target.app_name), 'objects'),
  };
  const git = (args: string[]) => runHost('git', ['--git-dir', gitDir, ...args], { env });
  for (const commit of [from, to]) {
    if ((await git(['cat-file', '-e', `${commit}^{commit}`])).code !== 0)
      return {
        ...base,
        comparable: false,
        message: `Commit ${commit.slice(0, 7)} is in neither app's repository: the commits cannot be compared.`,
      };
  }
  const log = async (range: string) => {
    const result = await git(['log', `--max-count=${DIFF_COMMITS}`, '--format=%H%x09%s', range, '--']);
    if (result.code !== 0) throw new Error(`git log failed: ${result.stderr.trim()}`);
    return result.stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const tab = line.indexOf('\t');
        return { sha: line.slice(0, tab), subject: line.slice(tab + 1).slice(0, 200) };
      });
  };
  const ahead = await log(`${to}..${from}`);
  const behind = await log(`${from}..${to}`);
  const message =
    ahead.length === 0 && behind.length === 0
      ? `${target.app_name} is up to date.`
      : `${source!.app_name} is ${ahead.length} commit(s) ahead of ${target.app_name}` +
        (behind.length > 0 ? `, and ${behind.length} behind` : '') +
        '.';
  return { ...base, comparable: true, ahead, behind, message };
}
