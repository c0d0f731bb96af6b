import { randomBytes } from 'node:crypto';
import { lstatSync } from 'node:fs';
import type { BackupTarget, BackupTargetInfo, BackupTargetSet, BackupTargetSetResult } from '@plat/core';
import type { Platform } from '../platform.js';
import {
  deleteBackupTarget,
  findBackupTarget,
  replaceBackupTarget,
  uploadedFiles,
  uploadTotals,
  type BackupTargetRow,
} from '../store/backup-target.js';
import type { User } from '../store/users.js';
import * as restic from './restic.js';
import { sshIdentity } from './ssh-identity.js';
import { formatTargetUrl, parseTargetUrl } from './target-url.js';
import { repositoryOf, wakeUploads } from './uploads.js';

/** The backup target, as admins set and see it (plat backups:target*). */

export const DEFAULT_RETENTION = { keepDaily: 7, keepWeekly: 4, keepMonthly: 0 } as const;

async function publicKey(platform: Platform): Promise<string> {
  const { dataDir, instance } = platform.settings;
  return (await sshIdentity(dataDir, `plat-backups@${instance}`)).publicKey;
}

async function present(platform: Platform, row: BackupTargetRow): Promise<BackupTarget> {
  const totals = await uploadTotals(platform.sql, row.id);
  return {
    url: row.url,
    keep_daily: row.keep_daily,
    keep_weekly: row.keep_weekly,
    keep_monthly: row.keep_monthly,
    created_at: row.created_at.toISOString(),
    uploads: {
      uploaded: totals.uploaded,
      expired: totals.expired,
      pending: totals.pending,
      failed: totals.failed,
      last_uploaded_at: totals.last_uploaded_at?.toISOString() ?? null,
      last_failure: totals.last_failure && {
        app: totals.last_failure.app,
        backup: `b${String(totals.last_failure.number).padStart(3, '0')}`,
        reason: totals.last_failure.reason,
      },
    },
  };
}

/** `plat backups:target`: the target (or null) and platd's SSH key, to put in authorized_keys before set. */
export async function backupTargetInfo(platform: Platform): Promise<BackupTargetInfo> {
  const row = await findBackupTarget(platform.sql);
  return { target: row ? await present(platform, row) : null, ssh_public_key: await publicKey(platform) };
}

/**
 * `plat backups:target:set URL`: makes a new restic repository there (its
 * password generated and returned this once), or opens an existing one
 * with the given password. Nothing changes unless that works. Every backup
 * Plat holds is then queued for upload.
 */
export async function setBackupTarget(
  platform: Platform,
  user: User,
  input: BackupTargetSet,
): Promise<BackupTargetSetResult> {
  const url = formatTargetUrl(parseTargetUrl(input.url));
  const current = await findBackupTarget(platform.sql);
  const same = current?.url === url ? current : undefined;
  const retention = {
    keepDaily: input.keep_daily ?? same?.keep_daily ?? DEFAULT_RETENTION.keepDaily,
    keepWeekly: input.keep_weekly ?? same?.keep_weekly ?? DEFAULT_RETENTION.keepWeekly,
    keepMonthly: input.keep_monthly ?? same?.keep_monthly ?? DEFAULT_RETENTION.keepMonthly,
  };
  // A policy that keeps nothing is refused before the repository is touched.
  restic.retentionArgs(retention);
  // The same repository again (to change retention) needs no password: Plat has it.
  const given = input.password ?? same?.password;
  const password = given ?? randomBytes(24).toString('base64url');
  const repository = await repositoryOf(platform, { url, password });
  if (given) await restic.open(repository);
  else await restic.init(repository);
  const row = await replaceBackupTarget(platform.sql, { url, password, ...retention });
  platform.log(`backups: ${user.email} set the backup target to ${url}`);
  wakeUploads(platform);
  return {
    target: await present(platform, row),
    password: given ? null : password,
    ssh_public_key: repository.ssh.publicKey,
  };
}

/** `plat backups:target:unset`: no more uploads; says how many backups were on the target only. */
export async function unsetBackupTarget(
  platform: Platform,
  user: User,
): Promise<{ url: string; only_on_target: number } | undefined> {
  const current = await findBackupTarget(platform.sql);
  if (!current) return undefined;
  const files = await uploadedFiles(platform.sql, current.id);
  const onlyThere = files.filter((file) => {
    try {
      return !lstatSync(file).isFile();
    } catch {
      return true;
    }
  }).length;
  await deleteBackupTarget(platform.sql);
  platform.log(`backups: ${user.email} unset the backup target ${current.url}`);
  return { url: current.url, only_on_target: onlyThere };
}
