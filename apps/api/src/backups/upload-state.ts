import { backupUploadLabel } from '@plat/core';
import type { UploadColumns } from '../store/backup-target.js';

/** Pure rules of uploads to the backup target: when to retry, what may go locally, what the listing shows. */

export const FIRST_RETRY_MS = 60_000;
export const MAX_RETRY_MS = 3600_000;

/**
 * After the n-th failed attempt in a row: 1 min, 2, 4, ... then hourly,
 * for as long as the target stays down (the backup keeps saying so).
 */
export function retryDelayMs(failedAttempts: number): number {
  const n = Math.max(1, Math.floor(failedAttempts));
  return Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** Math.min(n - 1, 30));
}

/**
 * Whether the prune step may delete a backup's local file: always with no
 * backup target, else only once the backup is on the target (or was, until
 * the target's own retention removed it). One that failed its check is
 * never uploaded, so it is not kept for that.
 */
export function mayPruneLocally(
  row: Pick<UploadColumns, 'upload_state' | 'upload_target'> & { verification_state?: string },
  target: { id: string } | undefined,
): boolean {
  if (!target || row.verification_state === 'failed') return true;
  return row.upload_target === target.id && (row.upload_state === 'uploaded' || row.upload_state === 'expired');
}

export type PresentedUpload =
  | { state: 'uploaded'; at: string; snapshot: string }
  | { state: 'pending' }
  | { state: 'failed'; reason: string; attempts: number; next_attempt_at: string | null }
  | { state: 'expired'; reason: string };

/** For `plat pg:backups` (and --json): null when there was no target to upload to. */
export function presentUpload(row: UploadColumns): PresentedUpload | null {
  switch (row.upload_state) {
    case 'uploaded':
      return { state: 'uploaded', at: row.uploaded_at?.toISOString() ?? '', snapshot: row.upload_snapshot ?? '' };
    case 'pending':
      return { state: 'pending' };
    case 'failed':
      return {
        state: 'failed',
        reason: row.upload_reason ?? 'unknown',
        attempts: row.upload_attempts,
        next_attempt_at: row.upload_next_at?.toISOString() ?? null,
      };
    case 'expired':
      return { state: 'expired', reason: row.upload_reason ?? 'removed from the target by its retention policy' };
    default:
      return null;
  }
}

/** One line for a listing (shared with the CLI). */
export const uploadLabel: (upload: PresentedUpload | null) => string = backupUploadLabel;

/** The name a backup has in the repository: one per add-on, so retention groups each add-on's snapshots. */
export function snapshotGroup(row: { app_id: string; addon_name: string }): string {
  return `${row.app_id}.${row.addon_name}`;
}
