import { describe, expect, it } from 'vitest';
import { backupsBeyond, RESTORE_FLAGS } from './pg-backups.js';

describe('backupsBeyond', () => {
  const backups = [3, 9, 1, 7, 5].map((number) => ({ number, last_verified_at: null }));

  it('keeps the newest N backups and names the rest, oldest last', () => {
    expect(backupsBeyond(backups, 2).map((b) => b.number)).toEqual([5, 3, 1]);
    expect(backupsBeyond(backups, 5)).toEqual([]);
    expect(backupsBeyond(backups, 10)).toEqual([]);
  });

  it('refuses to keep none', () => {
    expect(() => backupsBeyond(backups, 0)).toThrow('keep must be at least 1');
  });
});

describe('restore', () => {
  it('runs pg_restore as one transaction that stops at the first error', () => {
    expect(RESTORE_FLAGS).toContain('--single-transaction');
    expect(RESTORE_FLAGS).toContain('--exit-on-error');
  });
});

describe('PLAT_KEEP_BACKUPS', () => {
  it('defaults to 7 and refuses 0', async () => {
    const { settingsFromEnv } = await import('../config.js');
    expect(settingsFromEnv({}).keepBackups).toBe(7);
    expect(settingsFromEnv({ PLAT_KEEP_BACKUPS: '3' }).keepBackups).toBe(3);
    expect(() => settingsFromEnv({ PLAT_KEEP_BACKUPS: '0' })).toThrow('PLAT_KEEP_BACKUPS must be at least 1');
  });
});
