import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createGunzip } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { APP_NAME_PATTERN, KeyedQueue, PlatError } from '@plat/core';
import { HOOKS_DIR, receiveChecks, repoPath, tidyLater } from './repository.js';

/**
 * git's smart HTTP protocol for app repositories, served by `git
 * receive-pack` / `git upload-pack --stateless-rpc`. Authentication is HTTP
 * Basic with a Plat token as the password; the pre-receive hook (run by git
 * with the environment given here) builds and deploys the pushed commit.
 */

export type GitService = 'git-receive-pack' | 'git-upload-pack';

export interface GitReceiverOptions {
  reposDir: string;
  /** Throws a PlatError (unauthorized, forbidden, not_found) unless the token may use the app. */
  authorize(app: string, token: string | undefined, service: GitService): Promise<void>;
  /** Environment for the hook: how it reaches platd. */
  hookEnv(app: string): Record<string, string>;
  /** Packs larger than this are refused by git itself (receive.maxInputSize). */
  maxPushBytes: number;
  /** Where receive-packs queue per app; shared with pushes over SSH. */
  pushes?: KeyedQueue;
}

const SERVICES = new Set<string>(['git-receive-pack', 'git-upload-pack']);

function pktLine(text: string): string {
  return `${(text.length + 4).toString(16).padStart(4, '0')}${text}`;
}

function basicPassword(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header?.startsWith('Basic ')) return undefined;
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon === -1 ? undefined : decoded.slice(colon + 1);
}

function appOf(repo: string): string {
  const app = repo.replace(/\.git$/, '');
  if (!APP_NAME_PATTERN.test(app)) throw new PlatError('not_found', `No such app repository: ${repo}`);
  return app;
}

/** git shows a text/plain error body to the user as `remote:` lines. */
function sendGitError(reply: FastifyReply, error: unknown): FastifyReply {
  const platError = error instanceof PlatError ? error : new PlatError('internal_error');
  if (platError.status === 401) reply.header('www-authenticate', 'Basic realm="Plat"');
  return reply.code(platError.status).type('text/plain; charset=utf-8').send(`${platError.message}\n`);
}

export async function gitReceiver(app: FastifyInstance, options: GitReceiverOptions): Promise<void> {
  // git's request bodies are pack streams: hand them to git untouched.
  for (const type of ['application/x-git-receive-pack-request', 'application/x-git-upload-pack-request']) {
    app.addContentTypeParser(type, (_request, payload, done) => done(null, payload));
  }

  const prepare = async (request: FastifyRequest, service: string) => {
    const { repo } = request.params as { repo: string };
    if (!SERVICES.has(service)) throw new PlatError('forbidden', `Unsupported git service: ${service}`);
    const name = appOf(repo);
    await options.authorize(name, basicPassword(request), service as GitService);
    const path = repoPath(options.reposDir, name);
    if (!existsSync(path)) throw new PlatError('not_found', `No repository for app ${name}`);
    return { name, path, command: service.replace(/^git-/, '') };
  };

  const gitEnv = (name: string) => ({
    ...process.env,
    ...options.hookEnv(name),
    GIT_TERMINAL_PROMPT: '0',
  });

  app.get('/git/:repo/info/refs', async (request, reply) => {
    const service = String((request.query as { service?: string }).service ?? '');
    try {
      const { name, path, command } = await prepare(request, service);
      const child = spawn('git', [command, '--stateless-rpc', '--advertise-refs', path], { env: gitEnv(name) });
      const chunks: Buffer[] = [Buffer.from(`${pktLine(`# service=${service}\n`)}0000`)];
      for await (const chunk of child.stdout) chunks.push(chunk as Buffer);
      const code = await new Promise<number | null>((resolve) =>
        child.exitCode !== null ? resolve(child.exitCode) : child.on('close', resolve),
      );
      if (code !== 0) throw new PlatError('internal_error', `git ${command} failed for ${name}`);
      return reply
        .header('cache-control', 'no-cache')
        .type(`application/x-${service}-advertisement`)
        .send(Buffer.concat(chunks));
    } catch (error) {
      return sendGitError(reply, error);
    }
  });

  // One receive-pack per app at a time, until its refs are updated: a push
  // that waited then sees where the branch is now (the hook checks it).
  const pushes = options.pushes ?? new KeyedQueue();

  for (const service of SERVICES) {
    app.post(`/git/:repo/${service}`, async (request, reply) => {
      try {
        const { name, path, command } = await prepare(request, service);
        const run = () =>
          new Promise<void>((finished) => {
            const checks = command === 'receive-pack' ? receiveChecks(options.maxPushBytes) : [];
            const child = spawn(
              'git',
              [...checks, '-c', `core.hooksPath=${HOOKS_DIR}`, command, '--stateless-rpc', path],
              {
                env: gitEnv(name),
                stdio: ['pipe', 'pipe', 'inherit'],
              },
            );
            child.on('close', () => {
              if (command === 'receive-pack') tidyLater(path);
              finished();
            });
            child.on('error', () => finished());
            const body = request.body as NodeJS.ReadableStream;
            const input = request.headers['content-encoding'] === 'gzip' ? body.pipe(createGunzip()) : body;
            input.pipe(child.stdin);
            input.on('error', () => child.kill());
            child.stdin.on('error', () => {});
            reply.header('cache-control', 'no-cache').type(`application/x-${service}-result`);
            void reply.send(child.stdout);
          });
        if (service === 'git-receive-pack') {
          // Resolve once this push has its turn and its response is under way.
          await new Promise<void>((started) => {
            void pushes.run(name, () => {
              const done = run();
              started();
              return done;
            });
          });
        } else {
          void run();
        }
        return reply;
      } catch (error) {
        return sendGitError(reply, error);
      }
    });
  }
}
