import { hookHost } from '../http/routes/git.js';
import type { Platform } from '../platform.js';
import { GitSessionServer } from './git-sessions.js';
import { SshServer } from './sshd.js';

export interface GitOverSsh {
  /** One line for platd's start-up banner. */
  banner: string;
  stop(): Promise<void>;
}

/**
 * Starts git over SSH when PLAT_SSH_PORT is not 0: platd's session socket,
 * then its sshd. When it cannot work here (no sshd, no git user, the port
 * taken), platd runs on without it, says why at start and in GET /v1/ssh,
 * and keeps trying to start sshd.
 */
export async function startGitOverSsh(platform: Platform): Promise<GitOverSsh> {
  const { settings, log } = platform;
  if (settings.sshPort === 0) return { banner: 'off (PLAT_SSH_PORT=0)', stop: async () => {} };
  const ssh = new SshServer({
    dataDir: settings.dataDir,
    listenHost: settings.sshHost,
    port: settings.sshPort,
    sql: platform.sql,
    log,
  });
  platform.ssh = ssh;
  const hookBase = `http://${hookHost(settings.apiHost)}:${settings.apiPort}`;
  const sessions = new GitSessionServer({
    platform,
    socketPath: ssh.socketPath,
    gid: () => ssh.loginGid,
    hookEnv: (name) => ({
      PLAT_HOOK_URL: `${hookBase}/internal/apps/${name}/pushes`,
      PLAT_HOOK_SECRET: platform.hookSecret,
    }),
  });
  try {
    await ssh.prepare();
    await sessions.listen();
    await ssh.start();
  } catch (error) {
    const problem = (error as Error).message;
    log(`git over SSH is off: ${problem}`);
    await sessions.close();
    platform.ssh = { info: () => ({ ...ssh.info(), running: false, problem }), keysChanged: async () => {} };
    return { banner: `off: ${problem}`, stop: async () => {} };
  }
  const info = ssh.info();
  return {
    banner: info.running
      ? `ssh://git@<host>:${settings.sshPort}/<app>.git (plat keys:add; sshd log ${ssh.logPath})`
      : `not running yet: ${info.problem}`,
    stop: async () => {
      await ssh.stop();
      await sessions.close();
    },
  };
}
