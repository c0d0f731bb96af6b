import { createReadStream, existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { PlatError, type PlatImported } from '@plat/core';
import type { CommandContext } from '../../context.js';
import { answerError, archiveRequest } from './archive-http.js';

/** Uploads the archive and waits for the answer with no time limit (archive-http.ts says why). */
async function upload(path: string, env: NodeJS.ProcessEnv): Promise<PlatImported> {
  const {
    request,
    response: answered,
    apiUrl,
  } = archiveRequest(env, {
    method: 'POST',
    path: '/v1/admin/import',
    headers: {
      accept: 'application/json',
      'content-type': 'application/vnd.plat.export+tar',
      'content-length': statSync(path).size,
    },
  });
  // platd may answer before the whole upload is read (a Plat with apps, a bad header): that answer counts.
  const sent = pipeline(createReadStream(path), request).catch(() => undefined);
  const response = await answered;
  const status = response.statusCode ?? 0;
  if (status < 200 || status >= 300) {
    const error = await answerError(response, apiUrl);
    request.destroy();
    throw error;
  }
  let text = '';
  for await (const chunk of response) text += (chunk as Buffer).toString();
  await sent;
  try {
    return JSON.parse(text) as PlatImported;
  } catch {
    throw new PlatError(
      'internal_error',
      `platd answered the import with something that is not JSON (HTTP ${status}).`,
    );
  }
}

/** `plat admin:import FILE`: an archive of plat admin:export into a freshly started Plat with no apps. */
export async function importPlat(file: string, context: CommandContext): Promise<void> {
  const path = resolve(context.cwd, file);
  if (!existsSync(path) || !statSync(path).isFile()) throw new PlatError('not_found', `No such file: ${path}`);
  const started = Date.now();
  const imported = await upload(path, context.env);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  context.output.out(
    `Imported ${imported.apps.length} app(s), ${imported.images} image(s) and ${imported.addons} add-on(s) ` +
      `from instance ${imported.export.instance} (exported ${imported.export.created_at}) in ${seconds} s:`,
  );
  for (const app of imported.apps) context.output.out(`  ${app.name}  v${app.release}`);
  for (const warning of imported.warnings) context.output.out(`Note: ${warning}`);
  context.output.out(
    "The exported Plat's tokens work here now, and this login's token no longer does: log in again with one of them. " +
      'The apps start on their current releases; point their DNS names at this server.',
  );
}
