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

/** `plat redis:backups`: the app's redis snapshots and their checks. */
export async function listRedisBackups(options: AppOptions, context: CommandContext): Promise<void> {
  const name = await resolveApp(context, options.app);
  const backups = await context.client().redis.backups(name);
  emit(context.output, options.json, backups, () =>
    backups.length === 0
      ? [`No redis backups. Capture one: plat redis:backups:capture -a ${name}`]
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

/** `plat redis:backups:capture [ADDON]`: the snapshot, then its check in a scratch redis, waited for (bounded). */
export async function captureRedisBackup(
  addon: string | undefined,
  options: AppOptions,
  context: CommandContext,
): Promise<void> {
  const name = await resolveApp(context, options.app);
  const client = context.client();
  const captured = await withProgress(
    context,
    `Capturing a snapshot of ${addon ?? 'REDIS_URL'} on ${name}`,
    () => client.redis.capture(name, addon),
    (b) => `done, ${b.id}`,
  );
  const backup = await withProgress(
    context,
    `Checking ${captured.id} in a scratch redis`,
    () => awaitCheck(() => client.redis.backup(name, captured.id)),
    (b) => b.verification.state,
  );
  emit(context.output, options.json, backup, () => [
    `Backup ${backup.id} of ${backup.addon} captured (${backup.size_bytes} bytes), ${resultText(backup.verification)}`,
  ]);
  if (backup.verification.state !== 'verified') process.exitCode = 1;
}

async function newest(context: CommandContext, name: string, backup: string | undefined): Promise<string> {
  const id = backup ?? (await context.client().redis.backups(name))[0]?.id;
  if (!id) throw new PlatError('not_found', `${name} has no redis backups. Capture one: plat redis:backups:capture`);
  return id;
}

/** `plat redis:backups:verify [BACKUP]`: checks a snapshot again (the newest by default). */
export async function verifyRedisBackup(
  backup: string | undefined,
  options: AppOptions,
  context: CommandContext,
): Promise<void> {
  const name = await resolveApp(context, options.app);
  const client = context.client();
  const id = await newest(context, name, backup);
  const checked = await withProgress(
    context,
    `Checking ${id} of ${name} in a scratch redis`,
    async () => {
      await client.redis.verify(name, id);
      return awaitCheck(() => client.redis.backup(name, id));
    },
    (b) => b.verification.state,
  );
  emit(context.output, options.json, checked, () => [
    `Backup ${checked.id} of ${checked.addon} ${resultText(checked.verification)}`,
  ]);
  if (checked.verification.state !== 'verified') process.exitCode = 1;
}

/** `plat redis:backups:restore BACKUP [ADDON] --confirm APP`: replaces the add-on's keys with the snapshot's. */
export async function restoreRedisBackup(
  backup: string,
  addon: string | undefined,
  options: { app?: string; confirm?: string },
  context: CommandContext,
): Promise<void> {
  const name = await resolveApp(context, options.app);
  await withProgress(context, `Restoring ${backup} into ${addon ?? 'REDIS_URL'} on ${name}`, () =>
    context.client().redis.restore(name, backup, { addon, confirm: options.confirm }),
  );
}

/** `plat redis:backups:download [BACKUP] [-o FILE]`: the RDB file; never overwrites. */
export async function downloadRedisBackup(
  backup: string | undefined,
  options: { app?: string; output?: string },
  context: CommandContext,
): Promise<void> {
  const name = await resolveApp(context, options.app);
  const id = await newest(context, name, backup);
  const path = resolve(context.cwd, options.output ?? `${name}-${id}.rdb`);
  if (existsSync(path)) throw new PlatError('conflict', `${path} exists: name another file with -o.`);
  const body = await context.client().redis.download(name, id);
  await pipeline(
    Readable.fromWeb(body as Parameters<typeof Readable.fromWeb>[0]),
    createWriteStream(path, { flags: 'wx', mode: 0o600 }),
  );
  context.output.out(`Downloaded ${id} of ${name} to ${path} (an RDB snapshot)`);
}
