import type {
  BackupTargetInfo,
  BackupTargetSet,
  BackupTargetSetResult,
  BackupTargetUnsetResult,
  BackupUploadsRetry,
} from '@plat/core';
import type { Transport } from './transport.js';

const PATH = '/v1/admin/backup-target';

/** Backups kept off the server (one restic repository per Plat), for admins only. */
export function backupTargetResource(http: Transport) {
  return {
    /** The target (or null) with its uploads, and platd's SSH public key for the target's authorized_keys. */
    info: (): Promise<BackupTargetInfo> => http.request('GET', PATH),
    /** Makes (or, with a password, opens) the repository; a made one's password is in the result, once. */
    set: (target: BackupTargetSet): Promise<BackupTargetSetResult> => http.request('PUT', PATH, target),
    unset: (): Promise<BackupTargetUnsetResult> => http.request('DELETE', PATH),
    /** Uploads now every backup not on the target. */
    retry: (): Promise<BackupUploadsRetry> => http.request('POST', `${PATH}/actions/retry`),
  };
}
