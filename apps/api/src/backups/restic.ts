import { spawn } from 'node:child_process';
import { constants, createReadStream } from 'node:fs';
import { PassThrough, type Readable } from 'node:stream';
import { PlatError } from '@plat/core';
import { runHost } from '@plat/core/host-process';
import { ResticError, type ResticFailureKind, resticFailure } from './restic-errors.js';
import { probeTarget } from './target-probe.js';
import { resticRepository, type TargetUrl } from './target-url.js';
import type { SshIdentity } from './ssh-identity.js';

/**
 * Debian's restic, spawned with argument arrays. The repository password
 * goes through RESTIC_PASSWORD in restic's environment (never argv, which
 * every user of the host can read); for sftp, restic runs our ssh command
 * with platd's own key, known_hosts and no prompts.
 */
export { ResticError, resticFailure, type ResticFailureKind } from './restic-errors.js';

export const RESTIC = '/usr/bin/restic';
/** Opening a backup file: never through a symlink. Node takes numeric flags; its types say string. */
export const NOFOLLOW_READ = (constants.O_RDONLY | constants.O_NOFOLLOW) as unknown as string;
const SSH = '/usr/bin/ssh';
const SSH_CONNECT_TIMEOUT_S = 10;
/** restic's output kept for errors and JSON: a snapshot list of a busy repository fits. */
const OUTPUT_CHARS = 4 * 1024 ** 2;

export const TIMEOUTS = {
  init: 120_000,
  open: 120_000,
  backup: 6 * 3600_000,
  forget: 3600_000,
  snapshots: 120_000,
  check: 6 * 3600_000,
  /** A restore's dump: silence (no bytes) for this long ends it. */
  dumpIdle: 300_000,
} as const;

export interface Repository {
  url: TargetUrl;
  password: string;
  ssh: SshIdentity;
  /** restic's cache, in the data dir. */
  cacheDir: string;
}

export interface Retention {
  keepDaily: number;
  keepWeekly: number;
  keepMonthly: number;
}

/** What restic records with a snapshot, to find a backup by in `restic snapshots`. */
export interface SnapshotTags {
  app: string;
  addon: string;
  /** b001 */
  backup: string;
  provider: string;
}

/** restic splits sftp.command itself (spaces and quotes): every word must be plain. */
function plainWord(word: string): string {
  if (!/^[^\s'"\\]+$/.test(word))
    throw new PlatError('invalid_params', `${JSON.stringify(word)} cannot be part of restic's ssh command`);
  return word;
}

/** The ssh restic runs for an sftp target: platd's key only, host keys learnt once, never a prompt. */
export function sshCommand(url: Extract<TargetUrl, { kind: 'sftp' }>, ssh: SshIdentity): string {
  return [
    SSH,
    '-F',
    '/dev/null',
    '-i',
    ssh.privateKeyFile,
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    `UserKnownHostsFile=${ssh.knownHostsFile}`,
    '-o',
    'StrictHostKeyChecking=accept-new',
    '-o',
    'BatchMode=yes',
    '-o',
    `ConnectTimeout=${SSH_CONNECT_TIMEOUT_S}`,
    '-o',
    'ServerAliveInterval=15',
    '-o',
    'ServerAliveCountMax=4',
    '-p',
    String(url.port),
    '-l',
    url.user,
    '-s',
    '--',
    url.host,
    'sftp',
  ]
    .map(plainWord)
    .join(' ');
}

/** The arguments every restic command starts with. */
export function globalArgs(repository: Repository): string[] {
  const { url } = repository;
  return [
    '--repo',
    resticRepository(url),
    ...(url.kind === 'sftp' ? ['--option', `sftp.command=${sshCommand(url, repository.ssh)}`] : []),
    '--cache-dir',
    repository.cacheDir,
  ];
}

export function retentionArgs(retention: Retention): string[] {
  const keep = (flag: string, count: number) => (count > 0 ? [flag, String(count)] : []);
  const args = [
    ...keep('--keep-daily', retention.keepDaily),
    ...keep('--keep-weekly', retention.keepWeekly),
    ...keep('--keep-monthly', retention.keepMonthly),
  ];
  if (args.length === 0) throw new PlatError('invalid_params', 'Keep at least one daily, weekly or monthly backup.');
  return args;
}

export function tagArgs(tags: SnapshotTags): string[] {
  return Object.entries(tags).flatMap(([key, value]) => {
    if (!/^[A-Za-z0-9._-]+$/.test(value)) throw new Error(`tag ${key}=${value} is not plain`);
    return ['--tag', `${key}=${value}`];
  });
}

function environment(repository: Repository): NodeJS.ProcessEnv {
  return {
    PATH: '/usr/sbin:/usr/bin:/sbin:/bin',
    // ssh and restic look at HOME; -F /dev/null and --cache-dir keep them off the real one.
    HOME: repository.ssh.dir,
    LANG: 'C.UTF-8',
    RESTIC_PASSWORD: repository.password,
    RESTIC_PROGRESS_FPS: '0.016',
  };
}

/** What ssh printed when it could not connect: the reason names the host and what went wrong. */
const SSH_SAID = /\((connect to host|Could not resolve hostname) /;

/**
 * Why restic failed. An unreachable target whose ssh's words restic lost
 * (see probeTarget) gets them from a TCP connect of platd's own.
 */
export async function failureOf(
  repository: Repository,
  output: string,
  timedOut: boolean,
): Promise<{ kind: ResticFailureKind; reason: string }> {
  const failure = resticFailure(output, timedOut);
  if (failure.kind !== 'unreachable' || repository.url.kind !== 'sftp' || SSH_SAID.test(failure.reason)) return failure;
  const said = await probeTarget(repository.url.host, repository.url.port);
  return said ? { kind: 'unreachable', reason: `the target is unreachable (${said})` } : failure;
}

async function restic(
  repository: Repository,
  args: string[],
  options: { what: string; timeoutMs: number },
): Promise<string> {
  const result = await runHost(RESTIC, [...globalArgs(repository), ...args], {
    env: environment(repository),
    timeoutMs: options.timeoutMs,
    tailChars: OUTPUT_CHARS,
  }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT')
      throw new PlatError('unavailable', `${options.what}: restic is not installed (Debian's restic package)`);
    throw error;
  });
  if (result.code !== 0 || result.timedOut)
    throw new ResticError(options.what, await failureOf(repository, result.output, result.timedOut));
  return result.stdout;
}

/** Makes a new repository at the target. */
export async function init(repository: Repository): Promise<void> {
  await restic(repository, ['init'], { what: 'restic init failed', timeoutMs: TIMEOUTS.init });
}

/** Opens the repository: it exists and the password is right. */
export async function open(repository: Repository): Promise<void> {
  await restic(repository, ['cat', 'config'], { what: 'Opening the repository failed', timeoutMs: TIMEOUTS.open });
}

/**
 * One file as one snapshot, read from stdin under a fixed name per add-on
 * (`<group>.dump`): retention then groups each add-on's snapshots together
 * (host and path), and the file's place in platd's data dir does not matter.
 */
export async function backupFile(
  repository: Repository,
  file: string,
  options: { host: string; group: string; tags: SnapshotTags },
): Promise<string> {
  // Never through a symlink: the backup file is platd's own, in its data dir.
  const input = createReadStream(file, { flags: NOFOLLOW_READ });
  const args = [
    ...globalArgs(repository),
    'backup',
    '--json',
    '--quiet',
    '--host',
    options.host,
    ...tagArgs(options.tags),
    '--stdin',
    '--stdin-filename',
    `${options.group}.dump`,
  ];
  const result = await spawnWithInput(args, input, repository);
  if (result.code !== 0 || result.timedOut)
    throw new ResticError('Upload failed', await failureOf(repository, result.output, result.timedOut));
  const summary = result.stdout
    .split('\n')
    .map((line) => {
      try {
        return JSON.parse(line) as { message_type?: string; snapshot_id?: string };
      } catch {
        return undefined;
      }
    })
    .find((message) => message?.message_type === 'summary' && message.snapshot_id);
  if (!summary?.snapshot_id) throw new PlatError('unavailable', 'Upload failed: restic reported no snapshot');
  return summary.snapshot_id;
}

function spawnWithInput(
  args: string[],
  input: Readable,
  repository: Repository,
): Promise<{ code: number; stdout: string; output: string; timedOut: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(RESTIC, args, { env: environment(repository), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let output = '';
    const keep = (text: string) => text.slice(-OUTPUT_CHARS);
    child.stdout.on('data', (chunk: Buffer) => {
      stdout = keep(stdout + chunk.toString());
      output = keep(output + chunk.toString());
    });
    child.stderr.on('data', (chunk: Buffer) => (output = keep(output + chunk.toString())));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
    }, TIMEOUTS.backup);
    // restic may exit early (unreachable target): its stdin then closes under us.
    child.stdin.on('error', () => {});
    input.on('error', () => child.kill('SIGTERM'));
    input.pipe(child.stdin);
    child.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      input.destroy();
      reject(
        error.code === 'ENOENT'
          ? new PlatError('unavailable', "restic is not installed (Debian's restic package)")
          : error,
      );
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      input.destroy();
      resolve({ code: code ?? 1, stdout, output, timedOut });
    });
  });
}

/** Applies the retention policy to every add-on's snapshots and prunes what they no longer need. */
export async function forget(repository: Repository, retention: Retention): Promise<void> {
  await restic(repository, ['forget', '--group-by', 'host,paths', ...retentionArgs(retention), '--prune'], {
    what: 'Applying the retention policy failed',
    timeoutMs: TIMEOUTS.forget,
  });
}

export interface Snapshot {
  id: string;
  short_id: string;
  time: string;
  hostname: string;
  paths: string[];
  tags?: string[];
}

export async function snapshots(repository: Repository): Promise<Snapshot[]> {
  const text = await restic(repository, ['snapshots', '--json'], {
    what: 'Listing snapshots failed',
    timeoutMs: TIMEOUTS.snapshots,
  });
  return (JSON.parse(text.trim() || '[]') as Snapshot[] | null) ?? [];
}

/** Removes stale locks only (a restic that platd's stop or a crash cut short); live ones stay. */
export async function unlock(repository: Repository): Promise<void> {
  await restic(repository, ['unlock'], { what: 'Unlocking the repository failed', timeoutMs: TIMEOUTS.open });
}

export async function check(repository: Repository): Promise<void> {
  await restic(repository, ['check'], { what: 'Checking the repository failed', timeoutMs: TIMEOUTS.check });
}

/**
 * The file of one snapshot, streamed: restic's stdout. The stream fails
 * (with restic's reason) when restic does, so a restore reading it stops.
 */
export function dump(repository: Repository, snapshot: string, file: string): Readable {
  if (!/^[0-9a-f]{8,64}$/.test(snapshot)) throw new Error(`${snapshot} is not a snapshot id`);
  const out = new PassThrough();
  const child = spawn(RESTIC, [...globalArgs(repository), 'dump', snapshot, `/${file}`], {
    env: environment(repository),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let errors = '';
  child.stderr.on('data', (chunk: Buffer) => (errors = (errors + chunk.toString()).slice(-64 * 1024)));
  let idle: NodeJS.Timeout | undefined;
  let timedOut = false;
  const watch = () => {
    clearTimeout(idle);
    idle = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
    }, TIMEOUTS.dumpIdle);
  };
  watch();
  child.stdout.on('data', watch);
  child.stdout.pipe(out, { end: false });
  // A reader that gives up ends restic too.
  out.on('close', () => child.exitCode === null && child.kill('SIGTERM'));
  child.on('error', (error) => out.destroy(error));
  child.on('close', (code) => {
    clearTimeout(idle);
    if (code === 0 && !timedOut) {
      out.end();
      return;
    }
    // A reader that gave up needs no reason.
    if (out.destroyed) return;
    void failureOf(repository, errors, timedOut)
      .catch(() => resticFailure(errors, timedOut))
      .then((failure) => out.destroy(new ResticError('Reading the backup from the target failed', failure)));
  });
  return out;
}
