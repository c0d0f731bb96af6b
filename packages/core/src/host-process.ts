import { spawn, spawnSync } from 'node:child_process';

/**
 * How platd and the builder run a program on the host to its end: an
 * argument array (never a shell), output collected. A stream a caller
 * pipes (git's smart HTTP, a daemon) is spawned where it is used.
 * Not in @plat/core's index, so code meant for a browser never pulls in
 * node:child_process: import it from `@plat/core/host-process`.
 */
export interface HostRunOptions {
  cwd?: string;
  /** Run as this user and group (platd is root; PostgreSQL refuses to be). */
  uid?: number;
  gid?: number;
  /** The whole environment; the caller's when unset. */
  env?: NodeJS.ProcessEnv;
  /** SIGTERM after this long; the exit code is then 1 and `timedOut` is set. */
  timeoutMs?: number;
  /** Keep only the last this many characters of each output (a long build log). */
  tailChars?: number;
}

export interface HostRunResult {
  /** The exit code; 1 when a signal ended it. */
  code: number;
  stdout: string;
  stderr: string;
  /** stdout and stderr together, in the order they arrived. */
  output: string;
  timedOut: boolean;
}

function spawnOptions(options: HostRunOptions): Record<string, unknown> {
  return {
    ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
    ...(options.uid !== undefined ? { uid: options.uid } : {}),
    ...(options.gid !== undefined ? { gid: options.gid } : {}),
    ...(options.env !== undefined ? { env: options.env } : {}),
  };
}

/** Runs the program and resolves with its exit code and output; rejects only when it cannot start. */
export function runHost(binary: string, args: string[], options: HostRunOptions = {}): Promise<HostRunResult> {
  const keep = (text: string) => (options.tailChars === undefined ? text : text.slice(-options.tailChars));
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { ...spawnOptions(options), stdio: ['ignore', 'pipe', 'pipe'] });
    const result: HostRunResult = { code: 1, stdout: '', stderr: '', output: '', timedOut: false };
    child.stdout.on('data', (chunk: Buffer) => {
      result.stdout = keep(result.stdout + chunk.toString());
      result.output = keep(result.output + chunk.toString());
    });
    child.stderr.on('data', (chunk: Buffer) => {
      result.stderr = keep(result.stderr + chunk.toString());
      result.output = keep(result.output + chunk.toString());
    });
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            result.timedOut = true;
            child.kill('SIGTERM');
          }, options.timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ ...result, code: code ?? 1 });
    });
  });
}

/**
 * The same, blocking, for a program handed one of this process's open
 * descriptors as its fd 3 (`lend`): flock(1) locking a file platd holds.
 */
export function runHostSync(
  binary: string,
  args: string[],
  options: HostRunOptions & { lend?: number } = {},
): HostRunResult {
  const result = spawnSync(binary, args, {
    ...spawnOptions(options),
    stdio: ['ignore', 'pipe', 'pipe', ...(options.lend === undefined ? [] : [options.lend])],
    encoding: 'utf8',
    ...(options.timeoutMs !== undefined ? { timeout: options.timeoutMs } : {}),
  });
  if (result.error && result.status === null && !result.signal) throw result.error;
  const stdout = result.stdout ?? '';
  const stderr = result.stderr ?? '';
  return {
    code: result.status ?? 1,
    stdout,
    stderr,
    output: stdout + stderr,
    timedOut: (result.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT',
  };
}
