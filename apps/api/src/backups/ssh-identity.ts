import { lstatSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { runHost } from '@plat/core/host-process';

/**
 * platd's own SSH key pair for sftp backup targets, made once in the data
 * dir (ed25519), and the known_hosts it fills on first contact
 * (StrictHostKeyChecking accept-new): the admin puts the public key in the
 * target's authorized_keys.
 */
export interface SshIdentity {
  dir: string;
  privateKeyFile: string;
  knownHostsFile: string;
  publicKey: string;
}

function regularFile(path: string): boolean {
  try {
    const stat = lstatSync(path);
    if (!stat.isFile()) throw new Error(`${path} is not a regular file (a symlink?): remove it`);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

let making: Promise<SshIdentity> | undefined;

/** The key pair, made on first use; one at a time, so two requests do not race ssh-keygen. */
export function sshIdentity(dataDir: string, comment: string): Promise<SshIdentity> {
  const run = async (): Promise<SshIdentity> => {
    const dir = join(dataDir, 'backup-ssh');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (!lstatSync(dir).isDirectory()) throw new Error(`${dir} is not a directory`);
    const privateKeyFile = join(dir, 'id_ed25519');
    const publicKeyFile = `${privateKeyFile}.pub`;
    if (!regularFile(privateKeyFile) || !regularFile(publicKeyFile)) {
      rmSync(privateKeyFile, { force: true });
      rmSync(publicKeyFile, { force: true });
      const made = await runHost('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', privateKeyFile], {
        timeoutMs: 30_000,
      });
      if (made.code !== 0) throw new Error(`ssh-keygen could not make ${privateKeyFile}: ${made.output.trim()}`);
    }
    return {
      dir,
      privateKeyFile,
      knownHostsFile: join(dir, 'known_hosts'),
      publicKey: readFileSync(publicKeyFile, 'utf8').trim(),
    };
  };
  making = (making ?? Promise.resolve()).then(run, run) as Promise<SshIdentity>;
  return making;
}
