import { APP_NAME_PATTERN } from '@plat/core';
import type { GitService } from './smart-http.js';

/**
 * What a client asked sshd to run (SSH_ORIGINAL_COMMAND), read strictly:
 * exactly `git-receive-pack '<app>.git'` or `git-upload-pack '<app>.git'`
 * (with or without a leading slash, as ssh:// and scp-style remotes send
 * it). Anything else (a shell, another program, extra words) is refused
 * before platd is asked anything.
 */
export type SshGitRequest = { ok: true; service: GitService; app: string } | { ok: false; message: string };

const GIT_COMMAND = /^(git-receive-pack|git-upload-pack) '\/?([^'/]+)\.git\/?'$/;

export function parseSshCommand(command: string | undefined, pushExample: string): SshGitRequest {
  if (command === undefined || command.trim() === '') {
    return {
      ok: false,
      message: `Plat gives no shell over SSH: only git push and git fetch reach it (${pushExample}).`,
    };
  }
  const match = GIT_COMMAND.exec(command);
  if (!match) {
    const shown = command.length > 80 ? `${command.slice(0, 80)}…` : command;
    return {
      ok: false,
      message: `Plat runs only git-receive-pack and git-upload-pack over SSH, not ${JSON.stringify(shown)}.`,
    };
  }
  const [, service, app] = match;
  if (!APP_NAME_PATTERN.test(app!)) return { ok: false, message: `No such app repository: ${app}.git` };
  return { ok: true, service: service as GitService, app: app! };
}
