import { createWriteStream, existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { PlatError, backupUploadLabel } from '@plat/core';
import type { CommandContext } from '../../context.js';
import { resolveApp } from '../../context.js';
import { emit } from '../../output.js';
import { ago, header, keyValues, table } from '../../present.js';
import { withProgress } from '../../progress.js';
import { awaitCheck, resultText, verificationText } from './verification.js';

type AppOptions = { app?: string; json?: boolean };

export async function pgInfo(addon: string | undefined, options: AppOptions, context: CommandContext): Promise<void> {
  const name = await resolveApp(context, options.app);
  const info = await context.client().pg.info(name, addon);
  emit(context.output, options.json, info, () => [
    header(`${info.name} (${info.config_var})`, context.output.colors),
    ...keyValues([
      ['Plan', info.plan ?? ''],
      ['State', info.state ?? ''],
      ['Data size', info.data_size ?? ''],
      ['Tables', info.tables ?? ''],
      ['Connections', info.connections ?? ''],
      ['Version', info.version ?? ''],
      ['Created', info.created_at ?? ''],
    ]),
  ]);
}

export async function listBackups(options: AppOptions, context: CommandContext): Promise<void> {
  const name = await resolveApp(context, options.app);
  const backups = await context.client().pg.backups(name);
  emit(context.output, options.json, backups, () =>
    backups.length === 0
      ? [`No backups. Capture one: plat pg:backups:capture -a ${name}`]
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

/** `plat pg:backups:download [BACKUP] [-o FILE]`: the newest backup when none is named; never overwrites. */
export async function downloadBackup(
  backup: string | undefined,
  options: { app?: string; output?: string },
  context: CommandContext,
): Promise<void> {
  const name = await resolveApp(context, options.app);
  const client = context.client();
  const id = backup ?? (await client.pg.backups(name))[0]?.id;
  if (!id) throw new PlatError('not_found', `${name} has no backups. Capture one: plat pg:backups:capture -a ${name}`);
  const path = resolve(context.cwd, options.output ?? `${name}-${id}.dump`);
  if (existsSync(path)) throw new PlatError('conflict', `${path} exists: name another file with -o.`);
  const body = await client.pg.download(name, id);
  await pipeline(
    Readable.fromWeb(body as Parameters<typeof Readable.fromWeb>[0]),
    createWriteStream(path, { flags: 'wx', mode: 0o600 }),
  );
  context.output.out(`Downloaded ${id} of ${name} to ${path} (restore it with pg_restore)`);
}

/**
 * `plat pg:backups:capture`: the dump, then its check in a scratch server,
 * waited for (bounded): a backup is only done once it is proven. A failed
 * check exits 1; the backup is kept and says why in plat pg:backups.
 */
export async function captureBackup(
  addon: string | undefined,
  options: AppOptions,
  context: CommandContext,
): Promise<void> {
  const name = await resolveApp(context, options.app);
  const client = context.client();
  const captured = await withProgress(
    context,
    `Capturing a backup of ${addon ?? 'DATABASE_URL'} on ${name}`,
    () => client.pg.capture(name, addon),
    (b) => `done, ${b.id}`,
  );
  const backup = await withProgress(
    context,
    `Checking ${captured.id} in a scratch server`,
    () => awaitCheck(() => client.pg.backup(name, captured.id)),
    (b) => b.verification.state,
  );
  emit(context.output, options.json, backup, () => [
    `Backup ${backup.id} of ${backup.addon} captured (${backup.size_bytes} bytes), ${resultText(backup.verification)}`,
  ]);
  if (backup.verification.state !== 'verified') process.exitCode = 1;
}

/** `plat pg:backups:verify [BACKUP]`: checks a backup again (the newest by default) and waits for the result. */
export async function verifyBackup(
  backup: string | undefined,
  options: AppOptions,
  context: CommandContext,
): Promise<void> {
  const name = await resolveApp(context, options.app);
  const client = context.client();
  const id = backup ?? (await client.pg.backups(name))[0]?.id;
  if (!id) throw new PlatError('not_found', `${name} has no backups. Capture one: plat pg:backups:capture -a ${name}`);
  const checked = await withProgress(
    context,
    `Checking ${id} of ${name} in a scratch server`,
    async () => {
      await client.pg.verify(name, id);
      return awaitCheck(() => client.pg.backup(name, id));
    },
    (b) => b.verification.state,
  );
  emit(context.output, options.json, checked, () => [
    `Backup ${checked.id} of ${checked.addon} ${resultText(checked.verification)}`,
  ]);
  if (checked.verification.state !== 'verified') process.exitCode = 1;
}

export async function restoreBackup(
  backup: string,
  addon: string | undefined,
  options: { app?: string; confirm?: string },
  context: CommandContext,
): Promise<void> {
  const name = await resolveApp(context, options.app);
  await withProgress(context, `Restoring ${backup} into ${addon ?? 'DATABASE_URL'} on ${name}`, () =>
    context.client().pg.restore(name, backup, { addon, confirm: options.confirm }),
  );
}

export async function scheduleBackups(
  addon: string | undefined,
  options: { app?: string; at?: string },
  context: CommandContext,
): Promise<void> {
  const name = await resolveApp(context, options.app);
  const hour = Number(options.at ?? '2');
  const result = await context.client().pg.schedule(name, { hour, addon });
  context.output.out(`Daily backups of ${result.addon} at ${String(hour).padStart(2, '0')}:00 UTC`);
}
