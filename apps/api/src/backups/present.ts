import type { BackupRow, VerificationDetails, VerificationState } from '../store/pg-backups.js';
import { presentUpload } from './upload-state.js';

/** How the API shows a backup's check. Pure. */
export interface VerificationView {
  state: VerificationState;
  checked_at?: string;
  duration_ms?: number;
  tables?: number;
  rows?: number;
  keys?: number;
  not_compared?: string;
  reason?: string;
}

export function backupLabel(backup: Pick<BackupRow, 'number'>): string {
  return `b${String(backup.number).padStart(3, '0')}`;
}

export function verificationView(row: Pick<BackupRow, 'verification_state' | 'verification'>): VerificationView {
  const details: Partial<VerificationDetails> = row.verification_state === 'pending' ? {} : (row.verification ?? {});
  return { state: row.verification_state, ...details };
}

/** `verified: 3 tables, 1204 rows`, `verified: 12 keys`, `failed: <reason>`, `pending`. */
export function describeVerification(view: VerificationView): string {
  if (view.state === 'pending') return 'pending';
  if (view.state === 'failed') return `failed: ${view.reason ?? 'no reason given'}`;
  return `verified: ${countsText(view)}`;
}

export function countsText(view: Pick<VerificationView, 'tables' | 'rows' | 'keys' | 'not_compared'>): string {
  if (view.keys !== undefined) {
    const keys = `${view.keys} ${view.keys === 1 ? 'key' : 'keys'}`;
    return view.not_compared ? `${keys} (not compared: ${view.not_compared})` : keys;
  }
  const tables = view.tables ?? 0;
  const rows = view.rows ?? 0;
  return `${tables} ${tables === 1 ? 'table' : 'tables'}, ${rows} ${rows === 1 ? 'row' : 'rows'}`;
}

/** A backup as the API shows it (PgBackupSchema): its check, and its copy on the backup target. */
export function presentBackup(backup: BackupRow) {
  return {
    id: backupLabel(backup),
    addon: backup.addon_name,
    provider: backup.provider,
    size_bytes: Number(backup.size_bytes),
    created_at: backup.created_at.toISOString(),
    verification: verificationView(backup),
    upload: presentUpload(backup),
  };
}
