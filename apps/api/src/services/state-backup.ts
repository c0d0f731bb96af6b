import {
  createReadStream,
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { extract, pack } from 'tar-stream';
import { ensureRepository } from '@plat/builder';
import { PlatError } from '@plat/core';
import { runHost } from '@plat/core/host-process';
import type { Platform } from '../platform.js';
import { listAppNames } from '../store/apps.js';
import { containBackupFiles } from '../store/plat-archive.js';
import { appliedMigrations, knownMigrations, migrate, unknownMigrations } from '../store/migrate.js';
import { ownSchema } from '../store/state-schema.js';
import { StateScriptCheck } from './state-dump-script.js';

/**
 * `plat admin:backup` / `admin:restore`: the control plane's state in one
 * tar: a manifest, a pg_dump of the state database and the admin token.
 * The router's config is not in it: platd renders it from the state.
 */

const PG_BIN = '/usr/lib/postgresql/15/bin';
const FORMAT = 'plat-state-backup';
/** A state dump is small (apps, releases, logs); anything larger is not one of ours. */
const MAX_RESTORE_BYTES = 2 * 1024 ** 3;
/** The rows of a dump as a psql script (text, so larger than the compressed dump): a bound on the disk it takes. */
const MAX_SCRIPT_BYTES = 8 * 1024 ** 3;

export interface StateManifest {
  format: typeof FORMAT;
  version: 1;
  created_at: string;
  instance: string;
  migrations: string[];
  apps: number;
}

export function scratch(platform: Platform): string {
  const dir = join(platform.settings.dataDir, 'tmp');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return mkdtempSync(join(dir, 'state-'));
}

function clientArgs(platform: Platform): string[] {
  if (!platform.stateClientArgs)
    throw new PlatError('unavailable', 'This platd cannot reach its state database with pg_dump.');
  return platform.stateClientArgs;
}

/**
 * Before a platd applies migrations to a state that has some already (an
 * upgrade), a pg_dump of it goes to `<data dir>/backups/`, to go back to
 * with the previous version's `admin:restore` or pg_restore. Resolves with
 * the file, or undefined when there is nothing to migrate.
 */
export async function backUpBeforeMigrating(options: {
  sql: Platform['sql'];
  clientArgs: string[];
  dataDir: string;
}): Promise<string | undefined> {
  const applied = await appliedMigrations(options.sql).catch(() => [] as string[]);
  const pending = unknownMigrations(applied, knownMigrations());
  if (applied.length === 0 || pending.length === 0) return undefined;
  const dir = join(options.dataDir, 'backups');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(
    dir,
    `state-before-${pending[0]!.replace(/\.sql$/, '')}-${new Date().toISOString().replace(/[:.]/g, '-')}.dump`,
  );
  const dumped = await runHost(join(PG_BIN, 'pg_dump'), [
    ...options.clientArgs,
    '--format=custom',
    '--no-owner',
    '--file',
    file,
  ]);
  if (dumped.code !== 0) {
    rmSync(file, { force: true });
    throw new Error(
      `backing up the state before migrating failed, so nothing was migrated: ${dumped.output.trim().slice(0, 500)}`,
    );
  }
  return file;
}

/** pg_dump (custom format) of the state database into `file`; also admin:export's. */
export async function dumpState(platform: Platform, file: string): Promise<void> {
  const dumped = await runHost(join(PG_BIN, 'pg_dump'), [
    ...clientArgs(platform),
    '--format=custom',
    '--no-owner',
    '--file',
    file,
  ]);
  if (dumped.code !== 0)
    throw new PlatError('unavailable', `pg_dump of the state failed: ${dumped.output.trim().slice(0, 500)}`);
}

/**
 * Replaces the state with a dump of a Plat with the same migrations, in one
 * transaction (a failure leaves it as it was), then migrates it up to this
 * platd. `migrations` are the dumped state's, from its backup's manifest.
 * Only the dump's rows are taken (see loadRows): the schema stays this
 * platd's own.
 */
export async function replaceState(platform: Platform, dump: string, migrations: string[]): Promise<void> {
  const newer = unknownMigrations(knownMigrations(), migrations);
  if (newer.length > 0) {
    throw new PlatError(
      'conflict',
      `The backup was made by a newer Plat (it has ${newer.join(', ')}): ` +
        'restore it with that version; nothing was changed.',
    );
  }
  // The rows are loaded into this schema: an older state's rows would lack this one's newer tables and columns.
  const older = unknownMigrations(migrations, await appliedMigrations(platform.sql));
  if (older.length > 0) {
    throw new PlatError(
      'conflict',
      `The backup was made by an older Plat (it lacks ${older.join(', ')}): ` +
        'restore it with that version, then start this one, which migrates it; nothing was changed.',
    );
  }
  await loadRows(platform, dump);
  await migrate(platform.sql);
}

const quoted = (name: string) => `public."${name.replaceAll('"', '""')}"`;

/**
 * A dump's rows into this database, nothing else of it. A dump is a list of
 * SQL its maker wrote (a crafted one runs `COPY ... FROM PROGRAM` as the
 * database superuser), so it is never given to pg_restore with a database:
 * pg_restore only writes its rows as a psql script, bounded in size; the
 * script is checked to hold nothing but rows (StateScriptCheck); psql loads
 * it in one transaction after a preamble written here, which empties every
 * table. The state's schema_migrations stay this database's, as its schema.
 */
async function loadRows(platform: Platform, dump: string): Promise<void> {
  const dir = scratch(platform);
  try {
    const script = join(dir, 'rows.sql');
    // RLIMIT_FSIZE stops pg_restore at the bound: a small compressed dump can expand to fill the disk.
    const written = await runHost('prlimit', [
      `--fsize=${MAX_SCRIPT_BYTES}`,
      join(PG_BIN, 'pg_restore'),
      '--data-only',
      '--no-owner',
      '--file',
      script,
      dump,
    ]);
    if (existsSync(script) && statSync(script).size >= MAX_SCRIPT_BYTES)
      throw new PlatError(
        'payload_too_large',
        `The state dump's rows are larger than any state Plat makes (${MAX_SCRIPT_BYTES / 1024 ** 3} GiB); ` +
          'nothing was changed.',
      );
    if (written.code !== 0)
      throw new PlatError(
        'invalid_params',
        `The state dump could not be read, and the state is as it was: ${written.output.trim().slice(0, 500)}`,
      );
    const schema = await ownSchema(platform.sql);
    const check = new StateScriptCheck(schema);
    for await (const chunk of createReadStream(script)) check.write(chunk as Buffer);
    check.end();
    const tables = [...schema.tables].sort().map(quoted).join(', ');
    const loaded = await runHost(join(PG_BIN, 'psql'), [
      ...clientArgs(platform),
      '--no-psqlrc',
      '--quiet',
      '--set',
      'ON_ERROR_STOP=1',
      '--single-transaction',
      // Rows arrive table by table in name order, not foreign-key order: replica mode skips those checks.
      '--command',
      'SET session_replication_role = replica; ' +
        'CREATE TEMP TABLE plat_own_migrations ON COMMIT DROP AS SELECT * FROM public.schema_migrations; ' +
        `TRUNCATE ${tables} CASCADE;`,
      '--file',
      script,
      '--command',
      'TRUNCATE public.schema_migrations; ' +
        'INSERT INTO public.schema_migrations SELECT * FROM pg_temp.plat_own_migrations;',
    ]);
    if (loaded.code !== 0)
      throw new PlatError(
        'invalid_params',
        `The state dump did not load, and the state is as it was: ${loaded.output.trim().slice(0, 500)}`,
      );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The backup as a tar stream; its scratch folder is removed once the stream closes. */
export async function stateBackup(platform: Platform): Promise<{ manifest: StateManifest; archive: Readable }> {
  const dir = scratch(platform);
  try {
    const dump = join(dir, 'state.dump');
    await dumpState(platform, dump);
    const manifest: StateManifest = {
      format: FORMAT,
      version: 1,
      created_at: new Date().toISOString(),
      instance: platform.settings.instance,
      migrations: await appliedMigrations(platform.sql),
      apps: (await listAppNames(platform.sql)).length,
    };
    const tokenFile = join(platform.settings.dataDir, 'admin-token');
    const out = pack();
    out.entry({ name: 'manifest.json', mode: 0o600 }, `${JSON.stringify(manifest, null, 2)}\n`);
    if (existsSync(tokenFile)) out.entry({ name: 'admin-token', mode: 0o600 }, readFileSync(tokenFile));
    const sink = out.entry({ name: 'state.dump', mode: 0o600, size: statSync(dump).size }, (error) =>
      error ? out.destroy(error) : out.finalize(),
    );
    createReadStream(dump).pipe(sink as unknown as NodeJS.WritableStream);
    out.on('close', () => rmSync(dir, { recursive: true, force: true }));
    return { manifest, archive: out as unknown as Readable };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/** Reads a backup tar into the scratch folder: its manifest, dump and admin token, each checked. */
async function unpackBackup(
  source: Readable,
  dir: string,
): Promise<{ manifest: StateManifest; dump: string; adminToken?: string }> {
  const saved = join(dir, 'backup.tar');
  let total = 0;
  const cap = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      total += chunk.length;
      callback(
        total > MAX_RESTORE_BYTES
          ? new PlatError('payload_too_large', 'That is larger than any state backup Plat makes.')
          : null,
        chunk,
      );
    },
  });
  await pipeline(source, cap, createWriteStream(saved, { flags: 'wx', mode: 0o600 }));
  const found: { manifest?: string; adminToken?: string } = {};
  const dump = join(dir, 'state.dump');
  const reader = extract();
  reader.on('entry', (header, stream, next) => {
    const small = (key: 'manifest' | 'adminToken') => {
      let text = '';
      stream.on('data', (chunk) => {
        if (text.length < 64 * 1024) text += (chunk as Buffer).toString();
      });
      stream.on('end', () => {
        found[key] = text;
        next();
      });
    };
    if (header.type === 'file' && header.name === 'manifest.json') return small('manifest');
    if (header.type === 'file' && header.name === 'admin-token') return small('adminToken');
    if (header.type === 'file' && header.name === 'state.dump') {
      const file = createWriteStream(dump, { flags: 'wx', mode: 0o600 });
      file.on('finish', () => next());
      file.on('error', (error) => reader.destroy(error));
      stream.pipe(file as unknown as NodeJS.WritableStream);
      return;
    }
    stream.on('end', () => next());
    stream.resume();
  });
  const finished = new Promise<void>((resolve, reject) => {
    reader.on('finish', () => resolve());
    reader.on('error', () =>
      reject(new PlatError('invalid_params', 'That file is not a Plat state backup (not a tar archive).')),
    );
  });
  createReadStream(saved).pipe(reader as unknown as NodeJS.WritableStream);
  await finished;
  let manifest: StateManifest | undefined;
  try {
    manifest = found.manifest === undefined ? undefined : (JSON.parse(found.manifest) as StateManifest);
  } catch {
    manifest = undefined;
  }
  if (
    manifest?.format !== FORMAT ||
    manifest.version !== 1 ||
    !Array.isArray(manifest.migrations) ||
    !existsSync(dump)
  ) {
    throw new PlatError(
      'invalid_params',
      'That file is not a Plat state backup (no manifest or no state dump in it); nothing was changed.',
    );
  }
  return { manifest, dump, ...(found.adminToken ? { adminToken: found.adminToken.trim() } : {}) };
}

/**
 * Loads a backup into a Plat that has no apps yet: the state is replaced in
 * one transaction (a failure leaves it as it was), migrated up to this
 * platd, the admin token of the backed-up Plat written, every app given an
 * empty repository and converged. The backed-up Plat's tokens work here from
 * then on, and the caller's no longer does.
 */
export async function restoreState(
  platform: Platform,
  source: Readable,
): Promise<{ apps: number; manifest: StateManifest }> {
  const present = (await listAppNames(platform.sql)).length;
  if (present > 0) {
    source.resume();
    throw new PlatError(
      'conflict',
      `This Plat already has ${present} app(s): restore a state backup into a freshly started Plat.`,
    );
  }
  const dir = scratch(platform);
  try {
    const { manifest, dump, adminToken } = await unpackBackup(source, dir);
    await replaceState(platform, dump, manifest.migrations);
    // The dump's backup rows name files platd deletes, uploads and reads as root: kept inside the data dir's backups.
    await containBackupFiles(platform.sql, join(platform.settings.dataDir, 'backups'));
    if (adminToken) writeFileSync(join(platform.settings.dataDir, 'admin-token'), `${adminToken}\n`, { mode: 0o600 });
    const names = await listAppNames(platform.sql);
    for (const name of names) await ensureRepository(platform.reposDir, name);
    void platform.controller
      .restoreAll()
      .catch((error: Error) => platform.log(`converging restored apps failed: ${error.message}`));
    platform.log(
      `restored the state of instance ${manifest.instance} from ${manifest.created_at}: ${names.length} app(s)`,
    );
    return { apps: names.length, manifest };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
