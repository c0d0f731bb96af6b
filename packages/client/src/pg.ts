import type { PgBackup, PgBackupSchedule, PgInfo } from '@plat/core';
import { appPath, queryString, type Transport } from './transport.js';

/**
 * Postgres add-ons: info, backups (capture, list, restore) and their daily
 * schedule. addon: the DATABASE_URL one when absent.
 */
export function pgResource(http: Transport) {
  return {
    info: (app: string, addon?: string): Promise<PgInfo> =>
      http.request('GET', appPath(app, `/pg${queryString({ addon })}`)),
    /** Every backup of the app's postgres add-ons, newest first. */
    backups: (app: string): Promise<PgBackup[]> => http.request('GET', appPath(app, '/pg/backups')),
    /** Captures a backup; its check follows: verification pending (poll backup()). */
    capture: (app: string, addon?: string): Promise<PgBackup> =>
      http.request('POST', appPath(app, '/pg/backups'), addon ? { addon } : {}),
    /** One backup, with its check's state. */
    backup: (app: string, backup: string): Promise<PgBackup> =>
      http.request('GET', appPath(app, `/pg/backups/${encodeURIComponent(backup)}`)),
    /** Checks a backup again in a scratch server: verification pending until done (poll backup()). */
    verify: (app: string, backup: string): Promise<PgBackup> =>
      http.request('POST', appPath(app, `/pg/backups/${encodeURIComponent(backup)}/actions/verify`), {}),
    /** A backup's dump (pg_dump's custom format). */
    download: (app: string, backup: string): Promise<ReadableStream<Uint8Array>> =>
      http.download(appPath(app, `/pg/backups/${encodeURIComponent(backup)}/download`)),
    /** Replaces the add-on's data; confirm: the app's name. */
    restore: (app: string, backup: string, options: { addon?: string; confirm?: string } = {}): Promise<void> =>
      http.request('POST', appPath(app, `/pg/backups/${encodeURIComponent(backup)}/actions/restore`), {
        ...(options.addon ? { addon: options.addon } : {}),
        ...(options.confirm ? { confirm: options.confirm } : {}),
      }),
    /** A backup every day at this hour (UTC). */
    schedule: (app: string, options: { hour: number; addon?: string }): Promise<PgBackupSchedule> =>
      http.request('PUT', appPath(app, '/pg/backups/schedule'), {
        hour: options.hour,
        ...(options.addon ? { addon: options.addon } : {}),
      }),
  };
}
