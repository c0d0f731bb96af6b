import { createWriteStream, existsSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { PlatError } from '@plat/core';
import type { CommandContext } from '../../context.js';
import { archiveRequest, answerError } from './archive-http.js';

/**
 * `plat admin:export FILE`: the whole Plat as one archive, readable by the
 * caller only. It is written beside FILE and renamed only once complete, so
 * FILE never names half an archive.
 */
export async function exportPlat(file: string, context: CommandContext): Promise<void> {
  const path = resolve(context.cwd, file);
  if (existsSync(path)) throw new PlatError('conflict', `${path} exists: name another file.`);
  const partial = join(dirname(path), `.${basename(path)}.partial`);
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
  try {
    // platd cuts the response short on a failure; a complete one ends with the tar's end blocks.
    response.on('aborted', () => response.destroy(new Error('the connection was cut')));
    await pipeline(response, createWriteStream(partial, { flags: 'wx', mode: 0o600 }));
    if (!response.complete) throw new Error('the connection was cut');
  } catch (error) {
    rmSync(partial, { force: true });
    throw new PlatError(
      'unavailable',
      `The export was cut short (${(error as Error).message}); nothing was written to ${path}. platd's log says why.`,
    );
  }
  renameSync(partial, path);
  const megabytes = (statSync(path).size / 1024 ** 2).toFixed(1);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  context.output.out(`Exported this Plat to ${path} (${megabytes} MB in ${seconds} s).`);
  context.output.out(
    'It holds every secret of this Plat (tokens, config vars, keys, data): keep it private. ' +
      'Load it with plat admin:import on a freshly started Plat.',
  );
}
