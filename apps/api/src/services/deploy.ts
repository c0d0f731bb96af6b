import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { branchHead, buildApp } from '@plat/builder';
import { appImageTag, LABELS, PlatError, type BuildEvent } from '@plat/core';
import type { Platform } from '../platform.js';
import { configVars, findApp, formation, type AppRow } from '../store/apps.js';
import { finishBuild, insertBuild } from '../store/builds.js';
import { currentRelease } from '../store/releases.js';
import { buildEvent } from '../webhooks/resources.js';
import { KeptOutput } from './kept-output.js';
import { cutRelease, pruneImages } from './releases.js';
import { pruneBuildCache } from './disk.js';
import { parseAppJson, type AppManifest } from '../manifest/app-json.js';
import { appManifest, hasDeployed } from '../store/app-manifests.js';
import { applyManifest, planForApp, runPostdeploy } from './app-manifest.js';
import { describePhases, PhaseTimer } from './phase-timer.js';

export interface DeployRequest {
  app: AppRow;
  commit: string;
  source: Readable;
  emit: (event: BuildEvent) => void;
  /** The branch as the pusher saw it; a push that waited behind another must still fast-forward. */
  expected?: { ref: string; old: string };
  /** When the push reached platd (performance.now()): the deploy's timings start there. */
  receivedAt?: number;
}

const BUILD_PHASES = ['receive', 'archive', 'detect', 'build'] as const;

/** Build output streamed to the pushing terminal before it is cut short there (all of it is kept). */
const PUSH_STREAM_BYTES = 256 * 1024;

/**
 * What a pusher sees of an error that is not one of Plat's own: never Docker's
 * or Node's raw text (it can name host paths), but a reference to the full
 * error in platd's log.
 */
export function internalFailure(platform: Platform, what: string, error: unknown): string {
  const ref = randomBytes(4).toString('hex');
  platform.log(`${what} failed (ref ${ref}): ${(error as Error)?.stack ?? String(error)}`);
  return `Plat hit an internal error (ref ${ref}); the platform's administrator finds the details in platd's log.`;
}

/**
 * A push: build the commit into an image, make it release vN, roll it out.
 * A failed build makes no release; a release whose dynos do not come up is
 * marked failed and the previous one keeps serving. Either way the error
 * reaches the pusher and the push is rejected.
 */
export function deploy(platform: Platform, request: DeployRequest): Promise<{ version: number }> {
  return new Promise((resolve, reject) => {
    void platform.builds.run(request.app.name, async () => {
      let deployed = false;
      const standBy: StandBy = { discard: async () => {} };
      const discard = () =>
        standBy.discard().catch((error: Error) => platform.log(`removing network sandboxes failed: ${error.message}`));
      try {
        resolve(await runDeploy(platform, request, standBy));
        deployed = true;
      } catch (error) {
        // A refused push has started nothing that is left by the time the pusher hears of it.
        await discard();
        reject(error);
      }
      // A deployed one's sandboxes that no dyno joined (a sleeping app's, say) go once the pusher has the answer.
      if (deployed) await discard();
      // Once the pusher has the answer, yet still in the app's queue: its next build waits for the tidying.
      if (deployed) await pruneAppImages(platform, request.app);
      // After every build, good or failed (a failed one leaves its layers dangling).
      await pruneBuildCache(platform).catch((error: Error) =>
        platform.log(`pruning the build cache failed: ${error.message}`),
      );
    });
  });
}

async function pruneAppImages(platform: Platform, app: AppRow): Promise<void> {
  const pruned = await pruneImages(platform, app).catch((error: Error) => {
    platform.log(`pruning images of ${app.name} failed: ${error.message}`);
    return [];
  });
  if (pruned.length > 0) platform.log(`pruned ${pruned.length} old image(s) of ${app.name}`);
}

/** What removes the push's network sandboxes that no dyno joined. */
interface StandBy {
  discard: () => Promise<void>;
}

async function runDeploy(
  platform: Platform,
  { app, commit, source, emit, expected, receivedAt }: DeployRequest,
  standBy: StandBy,
): Promise<{ version: number }> {
  const { sql, settings } = platform;
  const timer = new PhaseTimer(receivedAt === undefined ? {} : { startedAt: receivedAt });
  // Asked first: git starts as a fork of platd, which takes longer than the query below.
  const branchNow = expected && branchHead(platform.reposDir, app.name, expected.ref);
  // Destroyed, or being destroyed, while this push waited in the queue.
  const now = await findApp(sql, app.name);
  if (now?.id !== app.id || now.destroying) {
    source.resume();
    throw new PlatError('not_found', `${app.name} was destroyed while this push waited.`);
  }
  if (expected) {
    const head = (await branchNow) ?? '0'.repeat(expected.old.length);
    if (head !== expected.old) {
      source.resume();
      throw new PlatError(
        'conflict',
        `${expected.ref.replace('refs/heads/', '')} moved while this push waited for another deploy: ` +
          'pull, then push again.',
      );
    }
  }
  const output = new KeptOutput();
  // The pusher's terminal gets the first PUSH_STREAM_BYTES of the build's
  // lines, then a pointer to the rest: megabytes relayed through git's
  // sideband help nobody, and the build's result must still reach them.
  let streamed = 0;
  const line = (text: string) => {
    output.push(text);
    platform.logs.write(app.id, { source: 'build', dyno: 'build', line: text });
    // Step headers, warnings and the release line always reach the pusher.
    if (/^(-----> | !| {7}Released v)/.test(text)) return emit({ type: 'line', text });
    if (streamed > PUSH_STREAM_BYTES) return;
    streamed += Buffer.byteLength(text) + 1;
    emit({
      type: 'line',
      text:
        streamed > PUSH_STREAM_BYTES
          ? '       ... more build output in plat builds:output and plat logs --source build'
          : text,
    });
  };
  const short = commit.slice(0, 7);
  // app.json counts on an app's first deploy, unless one was applied already (apps:create --manifest, apps:setup).
  const firstDeploy = !(await hasDeployed(sql, app.id)) && !(await appManifest(sql, app.id))?.manifest;
  let manifest: AppManifest | undefined;
  const build = await insertBuild(sql, app.id, commit);
  // Waiting behind another push of the app counts here: it is time the pusher waits.
  timer.mark('receive');
  // Network sandboxes start while the image builds, for the release phase (when the app has one, or may: a
  // first deploy's Procfile is not read yet) and the web dynos: their own starts then skip Docker's network setup.
  const webDynos = (await formation(sql, app.id)).find((row) => row.type === 'web')?.quantity ?? 1;
  const current = await currentRelease(sql, app.id);
  const releasePhase = !current || current.process_types.release ? 1 : 0;
  standBy.discard = platform.runtime.standBy?.(app, webDynos + releasePhase) ?? standBy.discard;
  platform.webhooks.emit(buildEvent(app, build, 'create'));
  const image = appImageTag(settings.instance, app.name, build.id);
  line(`-----> Building ${short} of ${app.name}`);
  let built: Awaited<ReturnType<typeof buildApp>>;
  let buildNetwork: { network: string; done(succeeded: boolean): Promise<void> } | undefined;
  let succeeded = false;
  try {
    const network = await platform.runtime.ensureBuildNetwork();
    buildNetwork = (await platform.runtime.joinBuildSandbox?.(app, network)) ?? { network, done: async () => {} };
    built = await buildApp(platform.images, {
      source,
      buildpack: app.buildpack,
      tag: image,
      // Stable across builds, so they do not break the layer cache.
      labels: { [LABELS.instance]: settings.instance, [LABELS.appId]: app.id },
      maxSourceBytes: settings.maxSourceBytes,
      memoryBytes: settings.buildMemoryBytes,
      network: buildNetwork.network,
      timeoutMs: settings.buildTimeoutMs,
      emit: line,
      onPhase: (phase) => timer.mark(phase),
      // Read before anything is built: an invalid app.json or a missing required var refuses the push.
      prepare: firstDeploy
        ? async (tree) => {
            const text = tree.read('app.json');
            if (text === undefined) return undefined;
            const parsed = parseAppJson(text);
            line('-----> app.json found: applying it on this first deploy');
            for (const warning of parsed.warnings) line(` !     ${warning}`);
            await planForApp(platform, app, parsed.manifest);
            manifest = parsed.manifest;
            return parsed.manifest.buildpack ? { buildpack: parsed.manifest.buildpack } : undefined;
          }
        : undefined,
    });
    succeeded = true;
  } catch (error) {
    const message =
      error instanceof PlatError ? error.message : internalFailure(platform, `build of ${app.name}`, error);
    output.push(` !     ${message}`);
    await finishBuild(sql, build.id, { status: 'failed', output: output.text() });
    platform.webhooks.emit(buildEvent(app, { ...build, status: 'failed', updated_at: new Date() }, 'update'));
    throw error instanceof PlatError ? error : new PlatError('build_failed', message);
  } finally {
    // A refused push leaves no build sandbox either.
    await buildNetwork
      ?.done(succeeded)
      .catch((error: Error) => platform.log(`removing a build sandbox: ${error.message}`));
  }
  await finishBuild(sql, build.id, {
    status: 'succeeded',
    output: output.text(),
    buildpack: built.buildpack,
    image,
    processTypes: built.processTypes,
    timings: timer.phases(BUILD_PHASES),
  });
  const finished = { status: 'succeeded' as const, buildpack: built.buildpack, updated_at: new Date() };
  platform.webhooks.emit(buildEvent(app, { ...build, ...finished }, 'update'));

  if (manifest) {
    // The build is good: config, formation and add-ons now, so the first release has them.
    const owner = { id: app.owner_id, email: app.owner_email, admin: false };
    for (const type of Object.keys(manifest.formation).filter((t) => !Object.hasOwn(built.processTypes, t)))
      line(` !     app.json: formation.${type}: this build has no ${type} process type; it runs once it has one`);
    try {
      await applyManifest(platform, app, owner, manifest, { onLine: line });
    } catch (error) {
      const message =
        error instanceof PlatError ? error.message : internalFailure(platform, `app.json of ${app.name}`, error);
      line(` !     ${message}`);
      throw error instanceof PlatError ? error : new PlatError('build_failed', message);
    }
  }
  line('-----> Launching...');
  const release = await platform.releases.run(app.name, async () =>
    cutRelease(platform, app, {
      description: `Deploy ${short}`,
      buildId: build.id,
      image,
      config: await configVars(sql, app.id),
      processTypes: built.processTypes,
      onLine: line,
      timer,
    }),
  );
  line(`       Released v${release.version}`);
  line(`-----> ${describePhases(timer.elapsed(), timer.phases())}`);
  // app.json's postdeploy, once, after the app's first release.
  await runPostdeploy(platform, app, line).catch((error: unknown) => {
    const message =
      error instanceof PlatError ? error.message : internalFailure(platform, `postdeploy of ${app.name}`, error);
    line(` !     postdeploy failed: ${message}`);
  });
  return { version: release.version };
}
