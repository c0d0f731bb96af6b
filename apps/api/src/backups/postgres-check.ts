import type { Drill } from './scratch-check.js';
import { output } from './scratch-check.js';
import { COUNT_QUERY } from './postgres-data.js';
import { compareCounts, parseCounts, shortReason } from './counts.js';

/** The scratch server's database, as scratchCredentials names it, over its unix socket. */
const SCRATCH_DB = ['-h', '/tmp', '-U', 'check', '-d', 'check'];

/** pg_restore into an empty database: all or nothing, first error stops it, nobody's roles needed. */
export const CHECK_RESTORE_FLAGS = ['--no-owner', '--no-privileges', '--single-transaction', '--exit-on-error'];

/** Restores the custom-format dump, then counts every table as the capture did. */
export const postgresDrill: Drill = {
  compare(source, restored) {
    const total = (counts: Record<string, number>) => Object.values(counts).reduce((sum, n) => sum + n, 0);
    // Captured before counts were kept: only the restore is proven, and the result says so (compared: false).
    if (!source) {
      return { ok: true, details: { tables: Object.keys(restored).length, rows: total(restored), compared: false } };
    }
    const check = compareCounts(source, restored);
    return {
      ok: check.ok,
      details: { tables: check.items, rows: check.total },
      ...(check.reason ? { reason: check.reason } : {}),
    };
  },
  async load(exec, dump) {
    const result = await exec(['pg_restore', ...CHECK_RESTORE_FLAGS, ...SCRATCH_DB], { stdin: dump });
    if (result.exitCode !== 0) {
      throw new Error(
        `pg_restore failed (exit ${result.exitCode}): ${shortReason(result.stderr) || 'no reason given'}`,
      );
    }
  },
  async counts(exec) {
    const text = await output(
      exec,
      ['psql', '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', ...SCRATCH_DB, '-c', COUNT_QUERY],
      'counting the restored tables',
    );
    return parseCounts(text.trim());
  },
};
