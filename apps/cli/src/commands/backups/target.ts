import { type BackupTarget, type BackupTargetSet, PlatError } from '@plat/core';
import type { CommandContext } from '../../context.js';
import { emit } from '../../output.js';
import { ago, header, keyValues } from '../../present.js';
import { withProgress } from '../../progress.js';

export interface TargetSetFlags {
  password?: string;
  keepDaily?: string;
  keepWeekly?: string;
  keepMonthly?: string;
  json?: boolean;
}

/** A --keep-* count: a whole number, 0 or more. */
export function keepCount(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,4}$/.test(value)) throw new PlatError('invalid_params', `${flag} takes a whole number, got ${value}`);
  return Number(value);
}

export function retentionText(target: Pick<BackupTarget, 'keep_daily' | 'keep_weekly' | 'keep_monthly'>): string {
  const parts = [
    [target.keep_daily, 'daily'],
    [target.keep_weekly, 'weekly'],
    [target.keep_monthly, 'monthly'],
  ].filter(([count]) => Number(count) > 0);
  return `${parts.map(([count, unit]) => `${count} ${unit}`).join(', ')} per add-on`;
}

function failureText(failure: { app: string; backup: string; reason: string }): string {
  return `${failure.app} ${failure.backup}: ${failure.reason}`;
}

export function targetLines(target: BackupTarget): string[] {
  const { uploads } = target;
  return keyValues([
    ['Target', target.url],
    ['Retention', retentionText(target)],
    ['Set', `${target.created_at} (${ago(target.created_at)})`],
    [
      'On target',
      `${uploads.uploaded} backup(s)${uploads.expired > 0 ? ` (${uploads.expired} more removed by retention)` : ''}`,
    ],
    [
      'Last upload',
      uploads.last_uploaded_at ? `${uploads.last_uploaded_at} (${ago(uploads.last_uploaded_at)})` : 'none yet',
    ],
    ['Pending', String(uploads.pending)],
    [
      'Failed',
      uploads.failed === 0 || !uploads.last_failure
        ? String(uploads.failed)
        : `${uploads.failed}; newest: ${failureText(uploads.last_failure)}`,
    ],
  ]);
}

function keyLines(key: string, context: CommandContext): string[] {
  return [
    header("platd's SSH key (for sftp targets: add it to the target's ~/.ssh/authorized_keys)", context.output.colors),
    key,
  ];
}

/** `plat backups:target`: the target and its uploads, and platd's SSH key (to authorize before set). */
export async function showTarget(options: { json?: boolean }, context: CommandContext): Promise<void> {
  const info = await context.client().backupTarget.info();
  emit(context.output, options.json, info, () => [
    ...(info.target
      ? targetLines(info.target)
      : [
          'No backup target is set: backups stay on this server only.',
          'plat backups:target:set URL keeps them off it too.',
        ]),
    '',
    ...keyLines(info.ssh_public_key, context),
  ]);
}

/** `plat backups:target:set URL`: makes (or opens) the restic repository; a made one's password is shown once. */
export async function setTarget(url: string, options: TargetSetFlags, context: CommandContext): Promise<void> {
  const body: BackupTargetSet = { url };
  const daily = keepCount('--keep-daily', options.keepDaily);
  const weekly = keepCount('--keep-weekly', options.keepWeekly);
  const monthly = keepCount('--keep-monthly', options.keepMonthly);
  if (daily !== undefined) body.keep_daily = daily;
  if (weekly !== undefined) body.keep_weekly = weekly;
  if (monthly !== undefined) body.keep_monthly = monthly;
  if (options.password !== undefined) body.password = options.password;
  const result = await withProgress(
    context,
    options.password === undefined ? `Making a restic repository at ${url}` : `Opening the restic repository at ${url}`,
    () => context.client().backupTarget.set(body),
  );
  emit(context.output, options.json, result, () => [
    `Backups are now copied to ${result.target.url} after each capture (${retentionText(result.target)}).`,
    ...(result.password
      ? [
          '',
          header('Repository password', context.output.colors),
          result.password,
          '',
          'Shown only now. Keep it somewhere other than this server: without it the copies cannot be read.',
        ]
      : []),
    '',
    ...keyLines(result.ssh_public_key, context),
  ]);
}

/** `plat backups:target:unset`: uploads stop; the repository at the target stays as it is. */
export async function unsetTarget(context: CommandContext): Promise<void> {
  const removed = await context.client().backupTarget.unset();
  context.output.out(`Backups are no longer copied to ${removed.url} (its repository is left as it is).`);
  if (removed.only_on_target > 0)
    context.output.out(
      `${removed.only_on_target} backup(s) were only there: restore them with restic and the repository password.`,
    );
}

/** `plat backups:target:retry`: every backup not on the target is uploaded now. */
export async function retryUploads(context: CommandContext): Promise<void> {
  const { queued } = await context.client().backupTarget.retry();
  context.output.out(
    queued === 0
      ? 'Every backup is on the target.'
      : `Uploading ${queued} backup(s) now, one at a time: plat backups:target shows how it goes.`,
  );
}
