import { createWriteStream, existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { PlatError, backupUploadLabel } from '@plat/core';
import type { CommandContext } from '../../context.js';
import { resolveApp } from '../../context.js';
import { emit } from '../../output.js';
import { ago, table } from '../../present.js';
import { withProgress } from '../../progress.js';
import { awaitCheck, resultText, verificationText } from '../pg/verification.js';

type AppOptions = { app?: string; json?: boolean };

/** What differs between `plat pg:backups*` and `plat redis:backups*`: the client resource and the words. */
export interface BackupCommandsKind {
  resource: 'pg' | 'redis';
  /** `No backups.` / `No redis backups.` */
  noun: string;
  /** The config var of the add-on used when none is named. */
  configVar: string;
  /** What a capture takes (`a backup`, `a snapshot`) and where its check runs. */
  captures: string;
  scratch: string;
  extension: string;
  /** Said after a download: how the file is used. */
  fileNote: string;
}

export const PG_BACKUPS: BackupCommandsKind = {
  resource: 'pg',
  noun: 'backups',
  configVar: 'DATABASE_URL',
  captures: 'a backup',
  scratch: 'a scratch server',
  extension: 'dump',
  fileNote: 'restore it with pg_restore',
};

export const REDIS_BACKUPS: BackupCommandsKind = {
  resource: 'redis',
  noun: 'redis backups',
  configVar: 'REDIS_URL',
  captures: 'a snapshot',
  scratch: 'a scratch redis',
  extension: 'rdb',
  fileNote: 'an RDB snapshot',
};

function resourceOf(kind: BackupCommandsKind, context: CommandContext) {
  return context.client()[kind.resource];
}

function noneYet(kind: BackupCommandsKind, name: string): string {
  return `Capture one: plat ${kind.resource}:backups:capture -a ${name}`;
}

/** The named backup, or the newest; not_found says how to make one. */
async function newest(kind: BackupCommandsKind, context: CommandContext, name: string, backup?: string) {
  const id = backup ?? (await resourceOf(kind, context).backups(name))[0]?.id;
  if (!id) throw new PlatError('not_found', `${name} has no ${kind.noun}. ${noneYet(kind, name)}`);
  return id;
}

/** `plat pg:backups` / `redis:backups`: the app's backups and their checks. */
export async function listAddonBackups(kind: BackupCommandsKind, options: AppOptions, context: CommandContext) {
  const name = await resolveApp(context, options.app);
  const backups = await resourceOf(kind, context).backups(name);
  emit(context.output, options.json, backups, () =>
    backups.length === 0
      ? [`No ${kind.noun}. ${noneYet(kind, name)}`]
      : table(
          ['Id', 'Add-on', 'Size', 'Captured', 'Check', 'Off-server'],
          backups.map((b) => [
            b.id,
            b.addon,
            `${Math.ceil(b.size_bytes / 1024)} kB`,
            ago(b.created_at),
            verificationText(b.verification),
            backupUploadLabel(b.upload),
          ]),
        ),
  );
}

/**
 * `plat pg:backups:capture` / `redis:backups:capture`: the capture, then its
 * check in a scratch server, waited for (bounded): a backup is only done
 * once it is proven. A failed check exits 1; the backup is kept and says why.
 */
export async function captureAddonBackup(
  kind: BackupCommandsKind,
  addon: string | undefined,
  options: AppOptions,
  context: CommandContext,
): Promise<void> {
  const name = await resolveApp(context, options.app);
  const resource = resourceOf(kind, context);
  const captured = await withProgress(
    context,
    `Capturing ${kind.captures} of ${addon ?? kind.configVar} on ${name}`,
    () => resource.capture(name, addon),
    (b) => `done, ${b.id}`,
  );
  const backup = await withProgress(
    context,
    `Checking ${captured.id} in ${kind.scratch}`,
    () => awaitCheck(() => resource.backup(name, captured.id)),
    (b) => b.verification.state,
  );
  emit(context.output, options.json, backup, () => [
    `Backup ${backup.id} of ${backup.addon} captured (${backup.size_bytes} bytes), ${resultText(backup.verification)}`,
  ]);
  if (backup.verification.state !== 'verified') process.exitCode = 1;
}

/** `plat pg:backups:verify [BACKUP]` / `redis:…`: checks a backup again (the newest by default), waited for. */
export async function verifyAddonBackup(
  kind: BackupCommandsKind,
  backup: string | undefined,
  options: AppOptions,
  context: CommandContext,
): Promise<void> {
  const name = await resolveApp(context, options.app);
  const resource = resourceOf(kind, context);
  const id = await newest(kind, context, name, backup);
  const checked = await withProgress(
    context,
    `Checking ${id} of ${name} in ${kind.scratch}`,
    async () => {
      await resource.verify(name, id);
      return awaitCheck(() => resource.backup(name, id));
    },
    (b) => b.verification.state,
  );
  emit(context.output, options.json, checked, () => [
    `Backup ${checked.id} of ${checked.addon} ${resultText(checked.verification)}`,
  ]);
  if (checked.verification.state !== 'verified') process.exitCode = 1;
}

/** `plat pg:backups:restore BACKUP [ADDON] --confirm APP` / `redis:…`: replaces the add-on's data. */
export async function restoreAddonBackup(
  kind: BackupCommandsKind,
  backup: string,
  addon: string | undefined,
  options: { app?: string; confirm?: string },
  context: CommandContext,
): Promise<void> {
  const name = await resolveApp(context, options.app);
  await withProgress(context, `Restoring ${backup} into ${addon ?? kind.configVar} on ${name}`, () =>
    resourceOf(kind, context).restore(name, backup, { addon, confirm: options.confirm }),
  );
}

/** `plat pg:backups:download [BACKUP] [-o FILE]` / `redis:…`: the newest when none is named; never overwrites. */
export async function downloadAddonBackup(
  kind: BackupCommandsKind,
  backup: string | undefined,
  options: { app?: string; output?: string },
  context: CommandContext,
): Promise<void> {
  const name = await resolveApp(context, options.app);
  const id = await newest(kind, context, name, backup);
  const path = resolve(context.cwd, options.output ?? `${name}-${id}.${kind.extension}`);
  if (existsSync(path)) throw new PlatError('conflict', `${path} exists: name another file with -o.`);
  const body = await resourceOf(kind, context).download(name, id);
  await pipeline(
    Readable.fromWeb(body as Parameters<typeof Readable.fromWeb>[0]),
    createWriteStream(path, { flags: 'wx', mode: 0o600 }),
  );
  context.output.out(`Downloaded ${id} of ${name} to ${path} (${kind.fileNote})`);
}
