import { describe, expect, it } from 'vitest';
import type { PgBackup } from '@plat/core';
import { awaitCheck, countsText, resultText, verificationText } from './verification.js';

describe('a backup check in the CLI', () => {
  const now = Date.parse('2026-11-29T10:05:00Z');

  it('says each state', () => {
    const checked_at = '2026-11-29T10:00:00Z';
    expect(verificationText({ state: 'verified', checked_at, tables: 3, rows: 1204 }, now)).toBe(
      'verified 5 minutes ago (3 tables, 1204 rows)',
    );
    expect(verificationText({ state: 'failed', reason: 'pg_restore failed' }, now)).toBe('failed: pg_restore failed');
    expect(verificationText({ state: 'pending' }, now)).toBe('pending');
    expect(resultText({ state: 'verified', tables: 1, rows: 1 })).toBe('verified: 1 table, 1 row');
    expect(resultText({ state: 'pending' })).toBe('still being checked');
    expect(countsText({ keys: 1 })).toBe('1 key');
    // Captured before counts were kept: only the restore ran, and it says so.
    const uncounted = { state: 'verified', checked_at, tables: 3, rows: 9, compared: false } as const;
    expect(verificationText(uncounted, now)).toBe('restored 5 minutes ago (no counts recorded at capture)');
    expect(resultText(uncounted)).toBe('restored (no counts recorded at capture)');
  });

  it('waits for a pending check, bounded', async () => {
    const states = ['pending', 'pending', 'verified'] as const;
    let calls = 0;
    const backup = (state: string) => ({ id: 'b001', verification: { state } }) as unknown as PgBackup;
    const done = await awaitCheck(async () => backup(states[Math.min(calls++, 2)]!), { intervalMs: 1 });
    expect(done.verification.state).toBe('verified');
    const stuck = await awaitCheck(async () => backup('pending'), { timeoutMs: 20, intervalMs: 5 });
    expect(stuck.verification.state).toBe('pending');
  });
});
