import { PlatClient } from '@plat/client';
import { AttachClient } from '@plat/client/attach';
import { nodeSender } from '@plat/client/node-sender';
import { PlatError } from '@plat/core';
import { requireCredentials, type Credentials } from './credentials.js';
import { appFromRemote, REMOTE } from './git-remote.js';
import type { Output } from './output.js';

/** What every command gets: where it runs, where it writes, how it reaches the API. */
export interface CommandContext {
  cwd: string;
  env: NodeJS.ProcessEnv;
  output: Output;
  /** The API with the stored credentials, or with these (plat login tries them before storing them). */
  client(credentials?: Credentials): PlatClient;
  /** `plat run` and `pg:psql` sessions, with the stored credentials. */
  attach(): AttachClient;
}

export function makeContext(output: Output, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): CommandContext {
  return {
    cwd,
    env,
    output,
    client: (credentials) => new PlatClient({ ...(credentials ?? requireCredentials(env)), send: nodeSender }),
    attach: () => new AttachClient(requireCredentials(env)),
  };
}

/** The app from --app, else from the `platform` git remote here. */
export async function resolveApp(context: CommandContext, app: string | undefined): Promise<string> {
  if (app) return app;
  const fromRemote = await appFromRemote(context.cwd);
  if (fromRemote) return fromRemote;
  throw new PlatError(
    'invalid_params',
    `No app specified: pass --app NAME, or run this in a git repo with a "${REMOTE}" remote (plat git:remote -a NAME).`,
  );
}
