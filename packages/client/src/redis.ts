import type { PgBackup } from '@plat/core';
import { appPath, type Transport } from './transport.js';

/** Redis add-ons' backups (RDB snapshots), as pgResource's. addon: the REDIS_URL one when absent. */
export function redisResource(http: Transport) {
  const backupPath = (app: string, backup: string, rest = '') =>
    appPath(app, `/redis/backups/${encodeURIComponent(backup)}${rest}`);
  return {
    /** Every backup of the app's redis add-ons, newest first. */
    backups: (app: string): Promise<PgBackup[]> => http.request('GET', appPath(app, '/redis/backups')),
    /** Captures a snapshot; its check follows: verification pending (poll backup()). */
    capture: (app: string, addon?: string): Promise<PgBackup> =>
      http.request('POST', appPath(app, '/redis/backups'), addon ? { addon } : {}),
    backup: (app: string, backup: string): Promise<PgBackup> => http.request('GET', backupPath(app, backup)),
    verify: (app: string, backup: string): Promise<PgBackup> =>
      http.request('POST', backupPath(app, backup, '/actions/verify'), {}),
    /** The snapshot (an RDB file). */
    download: (app: string, backup: string): Promise<ReadableStream<Uint8Array>> =>
      http.download(backupPath(app, backup, '/download')),
    /** Replaces the add-on's keys; confirm: the app's name. */
    restore: (app: string, backup: string, options: { addon?: string; confirm?: string } = {}): Promise<void> =>
      http.request('POST', backupPath(app, backup, '/actions/restore'), {
        ...(options.addon ? { addon: options.addon } : {}),
        ...(options.confirm ? { confirm: options.confirm } : {}),
      }),
  };
}
