import type { BackupVerification, PgBackup } from '@plat/core';
import { ago } from '../../present.js';

/**
 * A backup's check as the CLI says it: `verified 2 minutes ago (3 tables,
 * 1204 rows)`, `failed: <reason>`, `pending`. Pure.
 */
export function verificationText(v: BackupVerification, now = Date.now()): string {
  if (v.state === 'pending') return 'pending';
  if (v.state === 'failed') return `failed: ${v.reason ?? 'no reason given'}`;
  if (v.compared === false) return `restored ${ago(v.checked_at, now)} (${UNCOUNTED})`;
  return `verified ${ago(v.checked_at, now)} (${countsText(v)})`;
}

/** A backup from before counts were kept: its restore ran, but there was nothing to compare its rows with. */
const UNCOUNTED = 'no counts recorded at capture';

export function countsText(v: Pick<BackupVerification, 'tables' | 'rows' | 'keys' | 'not_compared'>): string {
  const n = (count: number | undefined, one: string) => `${count ?? 0} ${count === 1 ? one : `${one}s`}`;
  if (v.keys === undefined) return `${n(v.tables, 'table')}, ${n(v.rows, 'row')}`;
  return v.not_compared ? `${n(v.keys, 'key')} (not compared: ${v.not_compared})` : n(v.keys, 'key');
}

/** After a capture or a re-check: `verified: 3 tables, 1204 rows` or `failed: <reason>`. */
export function resultText(v: BackupVerification): string {
  if (v.state === 'verified') return v.compared === false ? `restored (${UNCOUNTED})` : `verified: ${countsText(v)}`;
  return v.state === 'failed' ? `failed: ${v.reason ?? 'no reason given'}` : 'still being checked';
}

/**
 * How long the CLI waits for a check: past the server's own bound for one
 * check (PLAT_BACKUP_CHECK_TIMEOUT_S, 15 min by default). Checks run one at
 * a time per platd, so one queued ahead (another app's, or a backup left
 * pending at start-up) can make it longer: then the CLI says the backup is
 * still being checked and `plat pg:backups` shows the result later.
 */
export const CHECK_WAIT_MS = 20 * 60_000;

/** Polls a backup until its check is done or the wait is over; the last state seen. */
export async function awaitCheck(
  fetch: () => Promise<PgBackup>,
  options: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<PgBackup> {
  const deadline = Date.now() + (options.timeoutMs ?? CHECK_WAIT_MS);
  for (;;) {
    const backup = await fetch();
    if (backup.verification.state !== 'pending' || Date.now() >= deadline) return backup;
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 500));
  }
}
