import { createWriteStream, existsSync, promises as fs, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { EXPORT_BYTES_HEADER, PlatError } from '@plat/core';
import type { CommandContext } from '../../context.js';
import { archiveRequest, answerError } from './archive-http.js';

const megabytes = (bytes: number) => (bytes / 1024 ** 2).toFixed(1);

/** Free bytes for this user where FILE goes; undefined where the filesystem does not say. */
async function freeBytes(dir: string): Promise<number | undefined> {
  const stats = await fs.statfs(dir).catch(() => undefined);
  return stats ? stats.bavail * stats.bsize : undefined;
}

/**
 * `plat admin:export FILE`: the whole Plat as one archive, readable by the
 * caller only. It is written beside FILE and renamed only once complete, so
 * FILE never names half an archive. A disk without room for platd's estimate
 * refuses before a byte is written; one that fills anyway (the estimate is a
 * floor) removes the partial file and says so.
 */
export async function exportPlat(file: string, context: CommandContext): Promise<void> {
  const path = resolve(context.cwd, file);
  if (existsSync(path)) throw new PlatError('conflict', `${path} exists: name another file.`);
  const dir = dirname(path);
  // Asked before the server starts dumping anything for us.
  if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory())
    throw new PlatError('invalid_params', `${dir} is not a directory: name a file in one that exists.`);
  const partial = join(dir, `.${basename(path)}.partial`);
  const started = Date.now();
  const {
    request,
    response: answered,
    apiUrl,
  } = archiveRequest(context.env, {
    method: 'GET',
    path: '/v1/admin/export',
    headers: { accept: 'application/x-tar' },
  });
  request.end();
  const response = await answered;
  if ((response.statusCode ?? 0) !== 200) throw await answerError(response, apiUrl);
  const needed = Number(response.headers[EXPORT_BYTES_HEADER]);
  const free = await freeBytes(dir);
  if (Number.isSafeInteger(needed) && free !== undefined && free < needed) {
    // Closing the download stops platd's export before its next dump.
    response.destroy();
    throw new PlatError(
      'unavailable',
      `Not enough free disk for the export: ${megabytes(free)} MB free in ${dir}, at least ` +
        `${megabytes(needed)} MB needed. Free some space or name a file on another disk; nothing was written.`,
    );
  }
  const sink = createWriteStream(partial, { flags: 'wx', mode: 0o600 });
  try {
    // platd cuts the response short on a failure; a complete one ends with the tar's end blocks.
    response.on('aborted', () => response.destroy(new Error('the connection was cut')));
    await pipeline(response, sink);
    if (!response.complete) throw new Error('the connection was cut');
  } catch (error) {
    rmSync(partial, { force: true });
    const { code } = error as NodeJS.ErrnoException;
    if (code === 'ENOSPC' || code === 'EDQUOT') {
      throw new PlatError(
        'unavailable',
        `The disk ran full while writing the export into ${dir} (${code}, ${megabytes(sink.bytesWritten)} MB ` +
          `written${Number.isSafeInteger(needed) ? `, at least ${megabytes(needed)} MB needed` : ''}): ` +
          `the partial file was removed and nothing was written to ${path}. ` +
          'Free some space or name a file on another disk.',
      );
    }
    throw new PlatError(
      'unavailable',
      `The export was cut short (${(error as Error).message}); nothing was written to ${path}. platd's log says why.`,
    );
  }
  renameSync(partial, path);
  const size = (statSync(path).size / 1024 ** 2).toFixed(1);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  context.output.out(`Exported this Plat to ${path} (${size} MB in ${seconds} s).`);
  context.output.out(
    'It holds every secret of this Plat (tokens, config vars, keys, data): keep it private. ' +
      'Load it with plat admin:import on a freshly started Plat.',
  );
}
