import { once } from 'node:events';
import { chmodSync, chownSync, existsSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { Transform } from 'node:stream';
import { repoPath, runGitSession, type GitService } from '@plat/builder';
import { APP_NAME_PATTERN, encodeFrame, FrameKind, PlatError } from '@plat/core';
import { appForUser } from '../auth/access.js';
import type { Platform } from '../platform.js';
import { sshKeyOwner } from '../store/ssh-keys.js';

/**
 * platd's end of git over SSH: a unix socket that only the `git` account
 * (sshd's forced command, ssh-shell.ts) can reach. Each connection names the
 * key sshd accepted, the service and the app; platd checks, now, that the
 * key is still registered, its user enabled and allowed to use the app, and
 * then runs git itself, as for a push over HTTP (same checks, same hook, one
 * receive-pack per app at a time). Refusals change nothing.
 */
export interface SessionRequest {
  key: string;
  service: GitService;
  app: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const SERVICES = new Set(['git-receive-pack', 'git-upload-pack']);
const MAX_HEADER_BYTES = 1024;
const HEADER_TIMEOUT_MS = 10_000;

/** The first line a forced command sends, checked; a PlatError names what is wrong. */
export function parseSessionRequest(line: string): SessionRequest {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new PlatError('invalid_params', 'Malformed session request.');
  }
  const { key, service, app } = (value ?? {}) as Record<string, unknown>;
  if (typeof key !== 'string' || !UUID.test(key)) throw new PlatError('unauthorized', 'Unknown SSH key.');
  if (typeof service !== 'string' || !SERVICES.has(service))
    throw new PlatError('forbidden', `Unsupported git service: ${String(service)}`);
  if (typeof app !== 'string' || !APP_NAME_PATTERN.test(app))
    throw new PlatError('not_found', `No such app repository: ${String(app)}.git`);
  return { key, service: service as GitService, app };
}

/** Reads the request line; the bytes after it stay in the socket for git. */
function readHeader(socket: Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    const timer = setTimeout(
      () => fail(new PlatError('invalid_params', 'No session request in time.')),
      HEADER_TIMEOUT_MS,
    );
    const fail = (error: Error) => {
      cleanup();
      reject(error);
    };
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      const newline = buffered.indexOf(0x0a);
      if (newline === -1) {
        if (buffered.length > MAX_HEADER_BYTES) fail(new PlatError('invalid_params', 'Session request too long.'));
        return;
      }
      cleanup();
      socket.pause();
      if (newline + 1 < buffered.length) socket.unshift(buffered.subarray(newline + 1));
      resolve(buffered.subarray(0, newline).toString('utf8'));
    };
    const onEnd = () => fail(new PlatError('invalid_params', 'The session ended before its request.'));
    const cleanup = () => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('error', fail);
    };
    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.on('error', fail);
  });
}

export interface GitSessionServerOptions {
  platform: Platform;
  socketPath: string;
  /** The group that may connect: the git account's (its folder lets no one else in either). */
  gid(): number;
  /** Environment for the pre-receive hook: how it reaches platd. */
  hookEnv(app: string): Record<string, string>;
}

export class GitSessionServer {
  readonly #options: GitSessionServerOptions;
  #server: Server | undefined;
  readonly #sockets = new Set<Socket>();

  constructor(options: GitSessionServerOptions) {
    this.#options = options;
  }

  async listen(): Promise<void> {
    const { socketPath } = this.#options;
    // A socket file left by a platd that died: platd holds the data dir lock, so it is no one's.
    if (existsSync(socketPath)) rmSync(socketPath);
    const server = createServer({ allowHalfOpen: true }, (socket) => void this.#serve(socket));
    server.on('error', (error) => this.#options.platform.log(`git over SSH: socket: ${error.message}`));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socketPath, () => {
        server.off('error', reject);
        resolve();
      });
    });
    chmodSync(socketPath, 0o660);
    chownSync(socketPath, 0, this.#options.gid());
    this.#server = server;
  }

  async close(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (!server) return;
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async #serve(socket: Socket): Promise<void> {
    this.#sockets.add(socket);
    socket.on('close', () => this.#sockets.delete(socket));
    socket.on('error', () => {});
    const { platform } = this.#options;
    let request: SessionRequest;
    try {
      request = parseSessionRequest(await readHeader(socket));
      await this.#authorize(request);
    } catch (error) {
      const message = error instanceof PlatError ? error.message : 'Plat could not start the git session.';
      if (!(error instanceof PlatError)) platform.log(`git over SSH: ${(error as Error).message}`);
      socket.end(encodeFrame(FrameKind.error, message));
      return;
    }
    const session = () => this.#run(socket, request);
    try {
      // One receive-pack per app at a time, HTTP or SSH: a push that waited sees where the branch is now.
      const code = await (request.service === 'git-receive-pack'
        ? platform.pushes.run(request.app, session)
        : session());
      if (!socket.destroyed) socket.end(encodeFrame(FrameKind.exit, String(code)));
    } catch (error) {
      platform.log(`git over SSH: ${request.service} ${request.app}: ${(error as Error).message}`);
      socket.end(encodeFrame(FrameKind.error, 'Plat could not run git for this session.'));
    }
  }

  async #authorize(request: SessionRequest): Promise<void> {
    const { platform } = this.#options;
    const owner = await sshKeyOwner(platform.sql, request.key);
    if (!owner) throw new PlatError('unauthorized', 'This SSH key is no longer registered with Plat (plat keys:add).');
    if (owner.disabled)
      throw new PlatError(
        'unauthorized',
        `The account ${owner.email} is disabled: ask an admin to enable it (plat users:enable).`,
      );
    await appForUser(platform.sql, { id: owner.id, email: owner.email, admin: owner.admin }, request.app);
    if (!existsSync(repoPath(platform.reposDir, request.app)))
      throw new PlatError('not_found', `No repository for app ${request.app}`);
  }

  async #run(socket: Socket, request: SessionRequest): Promise<number> {
    const { platform } = this.#options;
    const framer = new Transform({
      transform: (chunk: Buffer, _encoding, done) => done(null, encodeFrame(FrameKind.stdout, chunk)),
    });
    framer.pipe(socket, { end: false });
    const framed = once(framer, 'end');
    // A client gone mid-session must not leave git's output (and so this app's push queue) stuck.
    socket.once('close', () => {
      framer.unpipe(socket);
      framer.resume();
    });
    socket.resume();
    const code = await runGitSession({
      reposDir: platform.reposDir,
      app: request.app,
      service: request.service,
      maxPushBytes: platform.settings.maxSourceBytes,
      hookEnv: this.#options.hookEnv(request.app),
      input: socket,
      output: framer,
      log: platform.log,
    });
    await framed;
    return code;
  }
}
