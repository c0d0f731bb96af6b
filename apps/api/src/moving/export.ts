import { createHash } from 'node:crypto';
import {
  constants,
  createWriteStream,
  existsSync,
  promises as fs,
  lstatSync,
  readdirSync,
  readFileSync,
  rmSync,
} from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { type Pack, pack } from 'tar-stream';
import { repoPath } from '@plat/builder';
import { PlatError } from '@plat/core';
import { runHost } from '@plat/core/host-process';
import { carriesData, dumpAddon } from '../backups/addon-data.js';
import { resolvePlan } from '../addons/registry.js';
import { presentTags, saveImages } from '../controller/docker/image-archive.js';
import { formatCidr } from '../controller/network-pool.js';
import type { Platform } from '../platform.js';
import { dumpState, scratch } from '../services/state-backup.js';
import { checkStagingRoom, estimateExport, type ExportEstimate } from './export-room.js';
import { allAddons } from '../store/addons.js';
import { appliedMigrations } from '../store/migrate.js';
import { appsByName, backupFileRows, containedBackupFile } from '../store/plat-archive.js';
import { currentRelease, listReleases } from '../store/releases.js';
import {
  type ArchiveHeader,
  type EntrySum,
  entryLimit,
  entryNames,
  type ExportedApp,
  FORMAT,
  HEADER_ENTRY,
  isAppImageTag,
  MANIFEST_ENTRY,
  VERSION,
} from './format.js';

/**
 * `plat admin:export`: the whole Plat as one tar (format.ts), streamed as it
 * is made. Each entry is staged in the data dir's tmp folder on its own
 * (tar needs an entry's size before its bytes), streamed out while hashed,
 * and removed: the server holds one entry at a time, never the archive.
 */

interface AppSource {
  app: ExportedApp;
  addonRows: Awaited<ReturnType<typeof allAddons>>;
}

/** Whether the bare repository has any ref (git bundle refuses an empty one). */
async function hasCommits(repo: string): Promise<boolean> {
  if (!existsSync(join(repo, 'HEAD'))) return false;
  const refs = await runHost('git', ['--git-dir', repo, 'for-each-ref', '--count=1']);
  return refs.code === 0 && refs.stdout.trim() !== '';
}

/** What the archive will hold, known before its first byte: the header. */
async function survey(platform: Platform): Promise<{ header: ArchiveHeader; sources: AppSource[] }> {
  const { sql, settings } = platform;
  const apps = await appsByName(sql);
  const addons = (await allAddons(sql)).filter((addon) => addon.state === 'active');
  const prefix = `plat/${settings.instance}-`;
  const sources: AppSource[] = [];
  for (const row of apps) {
    const releases = await listReleases(sql, row.id);
    const current = await currentRelease(sql, row.id);
    const wanted = new Set(
      releases
        .filter((release) => release.image)
        .slice(0, settings.keepReleases)
        .map((release) => release.image!),
    );
    if (current?.image) wanted.add(current.image);
    const images = await presentTags([...wanted].filter((tag) => isAppImageTag(tag, prefix)));
    const addonRows = addons.filter((addon) => addon.app_id === row.id);
    const repo = (await hasCommits(repoPath(platform.reposDir, row.name))) ? entryNames.repo(row.name) : undefined;
    sources.push({
      addonRows,
      app: {
        name: row.name,
        id: row.id,
        release: current?.version ?? 0,
        images,
        ...(repo ? { repo } : {}),
        addons: addonRows.map((addon) => ({
          name: addon.name,
          provider: addon.provider,
          plan: addon.plan,
          ...(carriesData(addon) && resolvePlan(addon.provider).provider.service
            ? { data: entryNames.addon(addon.name) }
            : {}),
        })),
      },
    });
  }
  const header: ArchiveHeader = {
    format: FORMAT,
    version: VERSION,
    instance: settings.instance,
    data_dir: settings.dataDir,
    created_at: new Date().toISOString(),
    migrations: await appliedMigrations(sql),
    apps: sources.map((source) => source.app),
  };
  return { header, sources };
}

/**
 * One entry from a file, hashed as it streams into the tar. Opened without
 * following a link, its size read from what was opened: a link put where a
 * backup or key was is refused, not followed as root.
 */
async function addFile(out: Pack, name: string, path: string, sums: EntrySum[]): Promise<void> {
  // Before opening: a closed download makes out.entry() throw, which would leave the handle open.
  stillWanted(out);
  const handle = await fs.open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  const stat = await handle.stat().catch(async (error: Error) => {
    await handle.close();
    throw error;
  });
  if (!stat.isFile()) {
    await handle.close();
    throw new Error(`${path} is not a regular file`);
  }
  const size = stat.size;
  const hash = createHash('sha256');
  return new Promise((resolve, reject) => {
    const sink = out.entry({ name, size, mode: 0o600 }, (error) => {
      if (error) return reject(error);
      sums.push({ name, size, sha256: hash.digest('hex') });
      resolve();
    });
    const source = handle.createReadStream();
    source.on('data', (chunk) => hash.update(chunk as Buffer));
    source.on('error', reject);
    source.pipe(sink as unknown as NodeJS.WritableStream);
  });
}

function addBuffer(out: Pack, name: string, data: Buffer, sums: EntrySum[]): Promise<void> {
  return new Promise((resolve, reject) => {
    out.entry({ name, size: data.length, mode: 0o600 }, data, (error) => {
      if (error) return reject(error);
      sums.push({ name, size: data.length, sha256: createHash('sha256').update(data).digest('hex') });
      resolve();
    });
  });
}

/** Stages an entry written by `write` (which must not end the stream), adds it, and removes the staged file. */
async function addStaged(
  out: Pack,
  name: string,
  dir: string,
  write: (file: NodeJS.WritableStream) => Promise<void>,
  sums: EntrySum[],
): Promise<void> {
  stillWanted(out);
  const path = join(dir, 'entry');
  const file = createWriteStream(path, { flags: 'wx', mode: 0o600 });
  try {
    const failed = new Promise<never>((_resolve, reject) => file.on('error', reject));
    await Promise.race([write(file), failed]);
    await new Promise<void>((resolve, reject) => file.on('error', reject).end(resolve));
    await addFile(out, name, path, sums);
  } finally {
    file.destroy();
    rmSync(path, { force: true });
  }
}

/** A download closed by its client (or cut by an error) stops the export before its next dump. */
function stillWanted(out: Pack): void {
  if (out.destroyed) throw new Error('the download was closed before the archive was complete');
}

/** A file of a fixed name made by a tool (pg_dump, git bundle), as an entry. */
async function addMade(
  out: Pack,
  name: string,
  dir: string,
  make: (path: string) => Promise<void>,
  sums: EntrySum[],
): Promise<void> {
  stillWanted(out);
  const path = join(dir, 'made');
  try {
    await make(path);
    await addFile(out, name, path, sums);
  } finally {
    rmSync(path, { force: true });
  }
}

/** Small files of the data dir that travel as they are, when present (host keys, the ACME account). */
function dataDirFiles(platform: Platform): { name: string; path: string }[] {
  const { dataDir } = platform.settings;
  const files: { name: string; path: string }[] = [];
  const sshDir = join(dataDir, 'ssh');
  if (existsSync(sshDir))
    for (const file of readdirSync(sshDir))
      if (entryLimit(`ssh/${file}`) !== undefined) files.push({ name: `ssh/${file}`, path: join(sshDir, file) });
  const acmeKey = join(dataDir, 'acme', 'account-key.pem');
  if (existsSync(acmeKey)) files.push({ name: 'acme/account-key.pem', path: acmeKey });
  return files.filter((file) => lstatSync(file.path).isFile());
}

/** pg:backups files of the data dir, as rows name them. */
async function backupFiles(platform: Platform): Promise<{ name: string; path: string }[]> {
  const rows = await backupFileRows(platform.sql);
  const prefix = join(platform.settings.dataDir, 'backups');
  return rows.flatMap((row) => {
    const base = row.file.slice(row.file.lastIndexOf('/') + 1);
    const name = entryNames.backup(row.app_id, base);
    const inside = containedBackupFile(row, prefix) === row.file;
    return inside && entryLimit(name) !== undefined && existsSync(row.file) ? [{ name, path: row.file }] : [];
  });
}

function settingsOf(platform: Platform): Buffer {
  const { settings } = platform;
  const kept = {
    instance: settings.instance,
    domain: settings.domain,
    runtime: settings.runtime,
    keep_releases: settings.keepReleases,
    keep_backups: settings.keepBackups,
    network_pool: `${formatCidr(settings.networkPool.pool)} /${settings.networkPool.blockPrefix}`,
    router_port: settings.routerPort,
    router_tls_port: settings.routerTlsPort,
    ssh_port: settings.sshPort,
    api_domain: settings.apiDomain?.hostname ?? null,
  };
  return Buffer.from(`${JSON.stringify(kept, null, 2)}\n`);
}

interface Surveyed {
  header: ArchiveHeader;
  sources: AppSource[];
  /** The scratch folder, holding `state`: the state dump the header was checked against. */
  dir: string;
  state: string;
}

async function produce(platform: Platform, surveyed: Surveyed, out: Pack): Promise<void> {
  const { header, sources, dir } = surveyed;
  const sums: EntrySum[] = [];
  try {
    await addBuffer(out, HEADER_ENTRY, Buffer.from(`${JSON.stringify(header, null, 2)}\n`), sums);
    try {
      await addFile(out, entryNames.state, surveyed.state, sums);
    } finally {
      rmSync(surveyed.state, { force: true });
    }
    const token = join(platform.settings.dataDir, 'admin-token');
    if (existsSync(token)) await addBuffer(out, entryNames.adminToken, readFileSync(token), sums);
    for (const { app } of sources) {
      if (!app.repo) continue;
      await addMade(
        out,
        app.repo,
        dir,
        async (path) => {
          const made = await runHost('git', [
            '--git-dir',
            repoPath(platform.reposDir, app.name),
            'bundle',
            'create',
            path,
            '--all',
          ]);
          if (made.code !== 0) throw new Error(`git bundle of ${app.name} failed: ${made.output.trim().slice(0, 300)}`);
        },
        sums,
      );
    }
    const tags = [...new Set(sources.flatMap((source) => source.app.images))];
    if (tags.length > 0) await addStaged(out, entryNames.images, dir, (file) => saveImages(tags, file), sums);
    for (const source of sources) {
      for (const addon of source.addonRows) {
        const name = source.app.addons.find((entry) => entry.name === addon.name)?.data;
        if (name) await addStaged(out, name, dir, (file) => dumpAddon(platform, addon, file), sums);
      }
    }
    for (const file of [...(await backupFiles(platform)), ...dataDirFiles(platform)])
      await addFile(out, file.name, file.path, sums);
    await addBuffer(out, entryNames.settings, settingsOf(platform), sums);
    const manifest = { ...header, entries: sums };
    await addBuffer(out, MANIFEST_ENTRY, Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`), []);
    out.finalize();
    platform.log(`exported ${header.apps.length} app(s) in ${sums.length + 1} entries`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Starts the export: resolves with its header once known, and the tar as it
 * is made. A failure midway ends the stream with an error (the download is
 * cut short, and an archive without its manifest never imports).
 */
export async function exportPlat(
  platform: Platform,
): Promise<{ header: ArchiveHeader; archive: Readable; estimate: ExportEstimate }> {
  const surveyed = await consistentState(platform);
  let estimate: ExportEstimate;
  try {
    const files = [...(await backupFiles(platform)), ...dataDirFiles(platform)].map((file) => file.path);
    estimate = await estimateExport(platform, { state: surveyed.state, files, apps: surveyed.header.apps });
    await checkStagingRoom(estimate, surveyed.dir);
  } catch (error) {
    rmSync(surveyed.dir, { recursive: true, force: true });
    throw error;
  }
  const out = pack();
  // Fastify listens once it sends the stream; an error before that must not be an unhandled 'error' event.
  out.on('error', () => undefined);
  produce(platform, surveyed, out).catch((error: Error) => {
    platform.log(`admin:export failed, the archive is cut short: ${error.message}`);
    out.destroy(error);
  });
  return { header: surveyed.header, archive: out as unknown as Readable, estimate };
}

/**
 * The survey and a state dump that agree: a deploy, config change or add-on
 * made while the state was dumped would leave a release whose image the
 * archive lacks, so the survey is taken again after the dump and must match.
 */
async function consistentState(platform: Platform): Promise<Surveyed> {
  for (let attempt = 1; attempt <= 3; attempt += 1) {
    const { header, sources } = await survey(platform);
    const dir = scratch(platform);
    const state = join(dir, 'state.dump');
    try {
      await dumpState(platform, state);
      const again = await survey(platform);
      if (JSON.stringify(again.header.apps) === JSON.stringify(header.apps)) return { header, sources, dir, state };
    } catch (error) {
      rmSync(dir, { recursive: true, force: true });
      throw error;
    }
    rmSync(dir, { recursive: true, force: true });
  }
  throw new PlatError(
    'conflict',
    'Apps changed (deploys, config, add-ons) while each of 3 state dumps was taken: export again when they settle.',
  );
}
