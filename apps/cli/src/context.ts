import { PlatClient } from '@plat/client';
import { PlatError } from '@plat/core';
import { requireCredentials } from './credentials.js';
import { appFromRemote, REMOTE } from './git-remote.js';
import type { Output } from './output.js';

/** What every command gets: where it runs, where it writes, how it reaches the API. */
export interface CommandContext {
  cwd: string;
  env: NodeJS.ProcessEnv;
  output: Output;
  client(): PlatClient;
}

export function makeContext(output: Output, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): CommandContext {
  return {
    cwd,
    env,
    output,
    client: () => new PlatClient(requireCredentials(env)),
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
