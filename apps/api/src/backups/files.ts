import { constants, promises as fs } from 'node:fs';
import { PlatError } from '@plat/core';

/**
 * A backup's file, opened before anything is read, never through a link:
 * one pruned since it was looked up (ENOENT) is not_found "pruned", a link
 * or anything not a regular file is not_found "not a regular file", other
 * errors (EACCES, EMFILE) are thrown as they are; its length is the open
 * file's, not the row's. The one such helper.
 */
export async function openDump(
  file: string,
  what: string,
  command = 'pg:backups',
): Promise<{ handle: fs.FileHandle; size: number }> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT')
      throw new PlatError('not_found', `Backup ${what} is no longer on the server (pruned): see plat ${command}.`);
    if (code === 'ELOOP') throw notRegular(what);
    throw error;
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw notRegular(what);
    return { handle, size: stat.size };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/** A link, a directory or a device where the backup's file was: never read through. */
function notRegular(what: string): PlatError {
  return new PlatError('not_found', `Backup ${what} is not a regular file on the server.`);
}
