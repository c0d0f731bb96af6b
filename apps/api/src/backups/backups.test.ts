import { describe, expect, it } from 'vitest';
import { compareCounts, parseCounts, shortReason } from './counts.js';
import type { UploadState } from '../store/backup-target.js';
import { backupsToPrune, pruneActions } from './prune.js';
import { failureReason, startFailureReason } from './scratch-check.js';

describe('compareCounts', () => {
  const source = { 'public.items': 1200, 'audit.events': 4, 'public.empty_one': 0 };

  it('verifies the same tables with the same rows, and sums them', () => {
    expect(compareCounts(source, { ...source })).toEqual({ ok: true, items: 3, total: 1204 });
  });

  it('names tables missing, extra or with other counts', () => {
    const check = compareCounts(source, { 'public.items': 1199, 'public.empty_one': 0, 'public.stray': 1 });
    expect(check.ok).toBe(false);
    expect(check.reason).toBe(
      'the restored copy differs: public.items has 1199 rows, the source had 1200; audit.events is missing; ' +
        'public.stray was not in the source',
    );
  });

  it('shows three problems and counts the rest', () => {
    const many = Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`t${i}`, 1]));
    expect(compareCounts(many, {}, 'keys').reason).toMatch(/t2 is missing \(and 2 more\)$/);
  });
});

describe('parseCounts', () => {
  it('reads the count query answer and refuses anything else', () => {
    expect(parseCounts('{"public.a" : 3, "b.c" : "12"}')).toEqual({ 'public.a': 3, 'b.c': 12 });
    expect(() => parseCounts('[1]')).toThrow('not an object');
    expect(() => parseCounts('{"a": -1}')).toThrow('bad count');
    expect(() => parseCounts('ERROR')).toThrow();
  });
});

describe('failure reasons', () => {
  const base = { logs: '', diskBytes: 128 * 1024 ** 2 };

  it('says a check ran out of disk, also when only the server log says so', () => {
    expect(
      failureReason({ ...base, message: 'pg_restore: could not extend file "base/1/2": No space left on device' }),
    ).toMatch(/^the check ran out of disk \(128 MB, PLAT_BACKUP_CHECK_DISK_MB\): /);
    expect(
      failureReason({
        ...base,
        message: 'server closed the connection',
        logs: 'PANIC: could not write: No space left on device',
      }),
    ).toMatch(/^the check ran out of disk/);
  });

  it("puts the server's own trouble first", () => {
    const trouble = 'the scratch server ran out of memory';
    expect(failureReason({ ...base, message: 'pg_restore failed (exit 1): lost', trouble })).toBe(
      `${trouble}; pg_restore failed (exit 1): lost`,
    );
    expect(failureReason({ ...base, message: 'boom', trouble: 'the scratch server is gone' })).toBe('boom');
  });

  it("says a scratch server could not start, in the Engine's words, with the limits when memory failed", () => {
    const limits = { diskBytes: 1024 ** 2, memoryBytes: 2 * 1024 ** 2 };
    expect(
      startFailureReason({ ...limits, message: '(HTTP code 400) unexpected - Minimum memory limit allowed is 6MB ' }),
    ).toBe(
      'the scratch server could not start: Minimum memory limit allowed is 6MB ' +
        '(its limit is 3 MB: PLAT_BACKUP_CHECK_MEMORY_MB (2) + PLAT_BACKUP_CHECK_DISK_MB (1))',
    );
    expect(
      startFailureReason({
        ...limits,
        message: 'the scratch server container exited (137): initdb: killed',
        trouble: 'the scratch server ran out of memory',
      }),
    ).toMatch(/^the scratch server could not start: it ran out of memory \(3 MB: .*\); the scratch server container/);
    expect(
      startFailureReason({
        ...limits,
        message:
          'the scratch server container exited (1): creating directory ... ok\n' +
          'running bootstrap script ... FATAL: could not write to file "pg_wal/x": No space left on device\n' +
          'child process exited with exit code 1\ninitdb: removing data directory',
      }),
    ).toBe(
      'the scratch server could not start: it ran out of disk (1 MB, PLAT_BACKUP_CHECK_DISK_MB); ' +
        'the scratch server container exited (1): creating directory ... ok / ' +
        'running bootstrap script ... FATAL: could not write to file "pg_wal/x": No space left on device',
    );
    expect(startFailureReason({ ...limits, message: '(HTTP code 404) no such image - No such image: x:1' })).toBe(
      'the scratch server could not start: No such image: x:1',
    );
  });

  it('keeps reasons short', () => {
    expect(shortReason('a\n\nb\nc\nd\n')).toBe('b / c / d');
    expect(shortReason('x'.repeat(2000)).length).toBe(501);
  });
});

describe('pruning', () => {
  const at = new Date('2026-11-29T10:00:00Z');
  const row = (
    number: number,
    verified: boolean,
    upload: { upload_state?: UploadState; upload_target?: string } = {},
  ) => ({
    number,
    last_verified_at: verified ? at : null,
    upload_state: null as UploadState | null,
    upload_target: null as string | null,
    ...upload,
  });

  it('keeps the newest N and the newest one that ever passed its check past them', () => {
    // 2 passed once: a re-check under way (pending) or failed since does not let it go.
    const backups = [row(1, true), row(2, true), row(3, false), row(4, false), row(5, false)];
    expect(backupsToPrune(backups, 2).map((b) => b.number)).toEqual([3, 1]);
    expect(backupsToPrune(backups, 4).map((b) => b.number)).toEqual([1]);
    expect(backupsToPrune([row(1, true), row(2, true)], 1).map((b) => b.number)).toEqual([1]);
    expect(() => backupsToPrune(backups, 0)).toThrow('keep must be at least 1');
  });

  it('removes files only once off the server, and keeps the rows the target holds', () => {
    const target = { id: 't1' };
    const backups = [
      row(1, true, { upload_state: 'uploaded', upload_target: 't1' }),
      row(2, true, { upload_state: 'expired', upload_target: 't1' }),
      row(3, true, { upload_state: 'failed', upload_target: 't1' }),
      row(4, true, { upload_state: 'uploaded', upload_target: 't0' }),
      row(5, true),
      row(6, true),
    ];
    const actions = pruneActions(backups, 1, target);
    expect(actions.files.map((b) => b.number)).toEqual([2, 1]);
    expect(actions.rows.map((b) => b.number)).toEqual([2]);
    const none = pruneActions(backups, 1, undefined);
    expect(none.files.map((b) => b.number)).toEqual([5, 4, 3, 2, 1]);
    expect(none.rows).toEqual(none.files);
  });
});
