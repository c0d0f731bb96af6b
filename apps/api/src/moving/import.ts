import { createReadStream, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { ensureRepository, ensureServiceImage, removeRepository } from '@plat/builder';
import { networkName, PlatError, type PlatImported } from '@plat/core';
import { runHost } from '@plat/core/host-process';
import { loadAddon } from '../backups/addon-data.js';
import { resolvePlan } from '../addons/registry.js';
import type { Platform } from '../platform.js';
import { dumpState, replaceState, scratch } from '../services/state-backup.js';
import { type AddonRow, allAddons } from '../store/addons.js';
import { appliedMigrations } from '../store/migrate.js';
import { listDestroying, markDestroying } from '../store/apps.js';
import { adaptImportedState, appsByName, backupTargetUrls, containBackupFiles } from '../store/plat-archive.js';
import { finishDestroys } from '../services/apps.js';
import { type ArchiveManifest, entryNames, stateDiffers } from './format.js';
import { loadAppImages, removeImportedImages } from './images.js';
import { checkTarget, maxImportBytes, preflight } from './preflight.js';
import { type StagedArchive, stageArchive } from './staging.js';

/**
 * `plat admin:import`: a Plat exported by admin:export, into a freshly
 * started one. Nothing changes until the whole archive is staged and every
 * entry matches its checksum (staging.ts). Then, in an order that keeps the
 * controller from seeing half of it: repositories and images (invisible
 * without their rows), the state in one transaction, its fix-ups for this
 * host, files of the data dir, add-ons with their data, and last the
 * controller's converge. A failure undoes every step done, the state
 * included (from a pg_dump taken just before), and says so.
 */

let importing = false;

/** Stages and verifies the upload, then applies it; the staging folder is removed in every case. */
export async function importPlat(
  platform: Platform,
  source: Readable,
  options: { declaredBytes?: number } = {},
): Promise<PlatImported> {
  if (importing) {
    source.resume();
    throw new PlatError('conflict', 'An import is running on this Plat already.');
  }
  importing = true;
  const dir = scratch(platform);
  try {
    const maxBytes = maxImportBytes(platform);
    // A Content-Length over the bound is refused before a byte is staged.
    if (options.declaredBytes !== undefined && options.declaredBytes > maxBytes) {
      source.resume();
      throw new PlatError(
        'payload_too_large',
        `The archive (${options.declaredBytes} bytes) is larger than this platd takes now ` +
          `(PLAT_IMPORT_MAX_BYTES, or the free disk less 1 GB: ${maxBytes} bytes); nothing was changed.`,
      );
    }
    const staged = await stageArchive(source, dir, {
      maxBytes,
      onHeader: (header) => checkTarget(platform, header),
    });
    // Checked again: an app made while the archive arrived would be replaced.
    await checkTarget(platform, staged.manifest);
    const present = await preflight(platform, staged);
    return await apply(platform, staged, { dir, present });
  } finally {
    importing = false;
    rmSync(dir, { recursive: true, force: true });
  }
}

interface Undo {
  step: string;
  run: () => Promise<void>;
}

async function apply(
  platform: Platform,
  staged: StagedArchive,
  context: { dir: string; present: string[] },
): Promise<PlatImported> {
  const { manifest } = staged;
  const undo: Undo[] = [];
  const warnings: string[] = [];
  let step = 'starting';
  try {
    step = 'building the add-on images';
    for (const app of manifest.apps)
      for (const addon of app.addons) {
        const { provider, plan } = resolvePlan(`${addon.provider}:${addon.plan}`);
        if (provider.service)
          await ensureServiceImage(
            platform.images,
            provider.service(
              plan,
              provider.credentials(() => 'x'),
            ).image,
          );
      }

    step = 'loading the git repositories';
    for (const app of manifest.apps) {
      const bundle = app.repo && staged.file(app.repo);
      if (!bundle) continue;
      const repo = await ensureRepository(platform.reposDir, app.name);
      undo.push({ step, run: async () => removeRepository(platform.reposDir, app.name) });
      const fetched = await runHost('git', [
        '-c',
        'transfer.fsckObjects=true',
        '--git-dir',
        repo,
        'fetch',
        '--quiet',
        bundle,
        '+refs/*:refs/*',
      ]);
      if (fetched.code !== 0)
        throw new Error(`the repository of ${app.name} did not load: ${fetched.output.trim().slice(0, 300)}`);
    }

    step = 'loading the images';
    const expected = [...new Set(manifest.apps.flatMap((app) => app.images))];
    const images = staged.file(entryNames.images);
    const made: string[] = [];
    undo.push({ step, run: () => removeImportedImages(made) });
    if (images && expected.length > 0)
      await loadAppImages(platform, images, { expected, from: manifest.instance, made, present: context.present });

    step = 'replacing the state';
    // The last look: an app made since the archive arrived would be replaced with the state.
    await checkTarget(platform, manifest, { repos: false });
    const before = join(context.dir, 'before-import.dump');
    await dumpState(platform, before);
    const beforeMigrations = await appliedMigrations(platform.sql);
    const backupsDir = join(platform.settings.dataDir, 'backups');
    // Registered first: a failure after pg_restore (its migrate) still goes back; before it, this undoes nothing.
    undo.push({
      step,
      run: async () => {
        // Rows of the archive name the files a destroy removes: kept inside this data dir's backups first.
        await containBackupFiles(platform.sql, backupsDir);
        // Each imported app goes as apps:destroy takes one (dynos, routes, add-ons, networks), then the state.
        // Only apps the checked header names: another name in the state is not trusted as a path.
        const listed = new Set(manifest.apps.map((app) => `${app.id} ${app.name}`));
        for (const app of await appsByName(platform.sql))
          if (listed.has(`${app.id} ${app.name}`)) await markDestroying(platform.sql, app.id);
        await finishDestroys(platform);
        const left = await listDestroying(platform.sql);
        if (left.length > 0) throw new Error(`${left.map((app) => app.name).join(', ')} could not be removed`);
        await replaceState(platform, before, beforeMigrations);
      },
    });
    await replaceState(platform, staged.file(entryNames.state)!, manifest.migrations);

    step = 'adapting the state to this host';
    await adaptImportedState(platform.sql, {
      fromPrefix: `plat/${manifest.instance}-`,
      toPrefix: `plat/${platform.settings.instance}-`,
      oldBackups: join(manifest.data_dir, 'backups'),
      newBackups: backupsDir,
    });
    const differs = stateDiffers(manifest, {
      apps: await appsByName(platform.sql),
      addons: await allAddons(platform.sql),
    });
    if (differs) throw new PlatError('invalid_params', `The archive is refused: ${differs}`);
    const tokenFile = join(platform.settings.dataDir, 'admin-token');
    const tokenBefore = existsSync(tokenFile) ? readFileSync(tokenFile) : undefined;
    const token = staged.file(entryNames.adminToken);
    if (token) {
      undo.push({
        step,
        run: async () =>
          tokenBefore ? writeFileSync(tokenFile, tokenBefore, { mode: 0o600 }) : rmSync(tokenFile, { force: true }),
      });
      writeFileSync(tokenFile, readFileSync(token), { mode: 0o600 });
    }

    step = 'placing backups, host keys and the ACME account';
    warnings.push(...placeFiles(platform, staged, manifest, undo));

    step = 'recreating the add-ons';
    const rows = await allAddons(platform.sql);
    let addons = 0;
    for (const app of manifest.apps) {
      for (const exported of app.addons) {
        const row = rows.find((candidate) => candidate.name === exported.name);
        if (row?.state !== 'active') continue;
        if (!resolvePlan(`${row.provider}:${row.plan}`).provider.service) continue;
        step = `recreating ${row.name}`;
        undo.push({ step, run: () => platform.addons.remove(row) });
        await startAddon(platform, row, app.name);
        const data = exported.data && staged.file(exported.data);
        if (data) {
          step = `loading the data of ${row.name}`;
          await loadFile(platform, row, data);
        }
        addons += 1;
      }
    }

    warnings.push(...(await settingWarnings(platform, staged)));
    void platform.controller
      .restoreAll()
      .catch((error: Error) => platform.log(`converging imported apps failed: ${error.message}`));
    platform.log(
      `imported ${manifest.apps.length} app(s) of instance ${manifest.instance} from ${manifest.created_at}`,
    );
    return {
      apps: manifest.apps.map((app) => ({ name: app.name, release: app.release })),
      export: { instance: manifest.instance, created_at: manifest.created_at },
      images: expected.length,
      addons,
      warnings,
    };
  } catch (error) {
    const failed = (error as Error).message;
    const left: string[] = [];
    for (const entry of undo.reverse()) {
      try {
        await entry.run();
      } catch (undoError) {
        left.push(`${entry.step} (${(undoError as Error).message})`);
      }
    }
    // Converged before answering: an import tried again at once must not race this one's teardown (a CI run saw
    // two app networks of one name when it did).
    await platform.controller.restoreAll().catch(() => undefined);
    platform.log(`admin:import failed while ${step}: ${failed}`);
    const status =
      left.length === 0
        ? 'everything it had done was undone: this Plat is as it was before the import'
        : `undoing it did not finish, so this Plat is partly imported: ${left.join('; ')}`;
    throw new PlatError(
      error instanceof PlatError && error.status < 500 ? error.id : 'unavailable',
      `The import failed while ${step}: ${failed}. ${status}.`,
    );
  }
}

/** Backups into this data dir; host keys and the ACME account key, replacing this platd's own. */
function placeFiles(platform: Platform, staged: StagedArchive, manifest: ArchiveManifest, undo: Undo[]): string[] {
  const { dataDir } = platform.settings;
  const warnings: string[] = [];
  const ids = new Set(manifest.apps.map((app) => app.id));
  for (const name of stagedNames(staged, manifest)) {
    const path = staged.file(name)!;
    let target: string;
    if (name.startsWith('backups/')) {
      const appId = name.split('/')[1]!;
      if (!ids.has(appId)) continue;
      target = join(dataDir, name);
    } else if (name.startsWith('ssh/') || name.startsWith('acme/')) target = join(dataDir, name);
    else continue;
    mkdirSync(dirname(target), { recursive: true, mode: 0o700 });
    const previous = existsSync(target) ? readFileSync(target) : undefined;
    renameSync(path, target);
    undo.push({
      step: `placing ${name}`,
      run: async () => (previous ? writeFileSync(target, previous, { mode: 0o600 }) : rmSync(target, { force: true })),
    });
  }
  if (platform.ssh && stagedNames(staged, manifest).some((name) => name.startsWith('ssh/')))
    warnings.push("The exported Plat's SSH host keys are in place: restart platd so that its sshd serves them.");
  return warnings;
}

function stagedNames(staged: StagedArchive, manifest: ArchiveManifest): string[] {
  return manifest.entries.map((entry) => entry.name).filter((name) => staged.file(name) !== undefined);
}

/** The add-on's container, as createAddon makes it, for its existing row (same name, credentials). */
async function startAddon(platform: Platform, row: AddonRow, appName: string): Promise<void> {
  const { provider, plan } = resolvePlan(`${row.provider}:${row.plan}`);
  const service = provider.service!(plan, row.credentials);
  const image = await ensureServiceImage(platform.images, service.image);
  const network = networkName(platform.settings.instance, row.app_id);
  // The controller may be making the same network for the app's dynos right now: a second look finds it.
  await platform.runtime
    .ensureNetwork(network, appName, row.app_id)
    .catch(() => platform.runtime.ensureNetwork(network, appName, row.app_id));
  await platform.addons.start(
    {
      addon: row,
      app: appName,
      network,
      image,
      env: service.env,
      healthcheck: service.healthcheck,
      memoryBytes: plan.memoryMb * 1024 ** 2,
      ...(service.dataPath ? { dataPath: service.dataPath } : {}),
    },
    platform.settings.addonBootTimeoutMs,
  );
}

async function loadFile(platform: Platform, row: AddonRow, path: string): Promise<void> {
  const input = createReadStream(path);
  // A read error ends the load short, which the add-on refuses: that is the error reported, not a crash.
  input.on('error', (error) => platform.log(`reading the staged data of ${row.name} failed: ${error.message}`));
  try {
    await loadAddon(platform, row, input);
  } finally {
    input.destroy();
  }
}

/** Settings of the exporting platd, and state, that mean something else on this host. */
async function settingWarnings(platform: Platform, staged: StagedArchive): Promise<string[]> {
  const warnings: string[] = [];
  const file = staged.file(entryNames.settings);
  let old: { domain?: string } = {};
  try {
    if (file) old = JSON.parse(readFileSync(file, 'utf8')) as { domain?: string };
  } catch {
    old = {};
  }
  const { domain } = platform.settings;
  if (old.domain && old.domain !== domain)
    warnings.push(
      `The exported Plat served apps as <app>.${old.domain}; this one as <app>.${domain}: ` +
        `set PLAT_DOMAIN=${old.domain} here, or point users at the new names.`,
    );
  // A backup target on the old server's own disk is not on this one.
  for (const url of await backupTargetUrls(platform.sql))
    if (url.startsWith('/') || url.startsWith('local:'))
      warnings.push(
        `The backup target ${url} is a folder of the old server: make it exist here, or set another ` +
          '(plat backups:target:set).',
      );
  return warnings;
}
