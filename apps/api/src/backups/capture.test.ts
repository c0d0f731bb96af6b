import { describe, expect, it } from 'vitest';
import { DISK_RESERVE_BYTES, notEnoughDisk } from './capture.js';

const MB = 1024 ** 2;

describe('the free-space check before a capture', () => {
  it('asks the last backup half again plus the reserve', () => {
    expect(notEnoughDisk(DISK_RESERVE_BYTES + 150 * MB, 100 * MB, '/data/backups/a')).toBeUndefined();
    expect(notEnoughDisk(DISK_RESERVE_BYTES + 149 * MB, 100 * MB, '/data/backups/a')).toBe(
      'not enough free disk for the backup: 405 MB free in /data/backups/a, 406 MB needed ' +
        '(its last backup took 100 MB); free some space or delete old backups',
    );
  });

  it('holds a first capture to the reserve only', () => {
    expect(notEnoughDisk(DISK_RESERVE_BYTES, undefined, '/d')).toBeUndefined();
    expect(notEnoughDisk(10 * MB, undefined, '/d')).toMatch(
      /^not enough free disk for the backup: 10 MB free in \/d, 256 MB needed;/,
    );
  });
});
