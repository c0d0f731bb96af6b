import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { PlatError } from '@plat/core';
import type { CommandContext } from '../../context.js';

/** `plat admin:backup [FILE]`: the state as one tar, readable by the caller only. */
export async function backupState(file: string | undefined, context: CommandContext): Promise<void> {
  const path = resolve(context.cwd, file ?? `plat-state-${new Date().toISOString().replace(/[:.]/g, '-')}.tar`);
  if (existsSync(path)) throw new PlatError('conflict', `${path} exists: name another file.`);
  const body = await context.client().admin.backup();
  await pipeline(
    Readable.fromWeb(body as Parameters<typeof Readable.fromWeb>[0]),
    createWriteStream(path, { flags: 'wx', mode: 0o600 }),
  );
  context.output.out(
    `Backed up the state to ${path} (it holds every token's hash and the admin token: keep it private)`,
  );
}

/** `plat admin:restore FILE`: loads a state backup into a freshly started Plat. */
export async function restoreState(file: string, context: CommandContext): Promise<void> {
  const path = resolve(context.cwd, file);
  if (!existsSync(path)) throw new PlatError('not_found', `No such file: ${path}`);
  const body = Readable.toWeb(createReadStream(path)) as ReadableStream<Uint8Array>;
  const { apps, backup } = await context.client().admin.restore(body);
  context.output.out(`Restored ${apps} app(s) from the state of instance ${backup.instance} (${backup.created_at}).`);
  context.output.out(
    "The backed-up Plat's tokens work here now, and this login's token no longer does: log in again with one of them.",
  );
}
