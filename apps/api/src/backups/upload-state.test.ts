import { describe, expect, it } from 'vitest';
import type { UploadColumns } from '../store/backup-target.js';
import { mayPruneLocally, presentUpload, retryDelayMs, snapshotGroup, uploadLabel } from './upload-state.js';

const row = (columns: Partial<UploadColumns>): UploadColumns => ({
  upload_state: null,
  upload_target: null,
  upload_snapshot: null,
  uploaded_at: null,
  upload_reason: null,
  upload_attempts: 0,
  upload_next_at: null,
  ...columns,
});

describe('uploads to the backup target', () => {
  it('retries after 1 min, doubling up to an hour, then hourly', () => {
    const minutes = [1, 2, 3, 4, 5, 6, 7, 8, 50].map((n) => retryDelayMs(n) / 60_000);
    expect(minutes).toEqual([1, 2, 4, 8, 16, 32, 60, 60, 60]);
    expect(retryDelayMs(0)).toBe(60_000);
  });

  it('lets the prune step delete a local file only once it is on the target, or with no target', () => {
    const target = { id: 't1' };
    expect(mayPruneLocally(row({}), undefined)).toBe(true);
    expect(mayPruneLocally(row({ upload_state: 'uploaded', upload_target: 't1' }), target)).toBe(true);
    expect(mayPruneLocally(row({ upload_state: 'expired', upload_target: 't1' }), target)).toBe(true);
    expect(mayPruneLocally(row({ upload_state: 'pending', upload_target: 't1' }), target)).toBe(false);
    expect(mayPruneLocally(row({ upload_state: 'failed', upload_target: 't1' }), target)).toBe(false);
    // Never uploaded (made before the hook ran), or on an earlier target only.
    expect(mayPruneLocally(row({}), target)).toBe(false);
    expect(mayPruneLocally(row({ upload_state: 'uploaded', upload_target: 't0' }), target)).toBe(false);
    // A backup that failed its check is never uploaded: nothing to wait for.
    expect(mayPruneLocally({ ...row({}), verification_state: 'failed' }, target)).toBe(true);
  });

  it('presents each state for pg:backups', () => {
    const at = new Date('2026-11-29T10:00:00Z');
    expect(presentUpload(row({}))).toBeNull();
    const uploaded = presentUpload(row({ upload_state: 'uploaded', uploaded_at: at, upload_snapshot: 'ab12cd34' }));
    expect(uploaded).toEqual({ state: 'uploaded', at: at.toISOString(), snapshot: 'ab12cd34' });
    expect(uploadLabel(uploaded)).toBe('uploaded 2026-11-29 10:00');
    const failed = presentUpload(
      row({
        upload_state: 'failed',
        upload_reason: 'the target is unreachable',
        upload_attempts: 2,
        upload_next_at: at,
      }),
    );
    expect(failed).toEqual({
      state: 'failed',
      reason: 'the target is unreachable',
      attempts: 2,
      next_attempt_at: at.toISOString(),
    });
    expect(uploadLabel(failed)).toBe('upload failed: the target is unreachable');
    expect(uploadLabel(presentUpload(row({ upload_state: 'pending' })))).toBe('upload pending');
  });

  it('groups snapshots per add-on', () => {
    expect(snapshotGroup({ app_id: 'a1', addon_name: 'postgres-calm-1' })).toBe('a1.postgres-calm-1');
  });
});
