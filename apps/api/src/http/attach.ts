import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { ATTACH_PROTOCOL, FrameKind, frameHead, PlatError } from '@plat/core';
import { appForUser, authenticateClient } from '../auth/access.js';
import type { FailedAuthLimit } from '../auth/failed-auth-limit.js';
import type { Platform } from '../platform.js';
import { libpq, postgresAddon } from '../services/pg-backups.js';
import { currentRelease } from '../store/releases.js';
import type { UserRateLimit } from './user-rate-limit.js';

/** The API's limits, which upgrades count against like any request. */
export interface AttachLimits {
  failedAuth: FailedAuthLimit;
  userRate: UserRateLimit;
}

const PATH = /^\/v1\/apps\/([a-z][a-z0-9-]{1,29})\/(dynos\/attach|pg\/psql)$/;

const LOOPBACK = /^(127\.|::1$|::ffff:127\.)/;

/** As fastify's trustProxy (server.ts): the address the router forwards, when the request came through it. */
function clientAddress(platform: Platform, request: IncomingMessage): string | undefined {
  const peer = request.socket.remoteAddress;
  const forwarded = request.headers['x-forwarded-for'];
  if (!platform.settings.apiDomain || !peer || !LOOPBACK.test(peer) || typeof forwarded !== 'string') return peer;
  return forwarded.split(',').at(-1)?.trim() || peer;
}

function reject(socket: Duplex, error: unknown): void {
  const platError = error instanceof PlatError ? error : new PlatError('internal_error');
  const body = JSON.stringify(platError.toJSON());
  socket.end(
    `HTTP/1.1 ${platError.status} Error\r\ncontent-type: application/json\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

/**
 * `plat run`: GET /v1/apps/:app/dynos/attach?command=...&tty=1&cols=&rows=
 * with `Upgrade: plat-attach`; `plat pg:psql`: GET /v1/apps/:app/pg/psql?addon=.
 * After 101 the socket carries the one-off dyno's stdin one way and framed
 * stdout, stderr and exit code the other.
 */
export function installAttach(app: FastifyInstance, platform: Platform, limits: AttachLimits): void {
  app.server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    // Bytes that came with the request belong to the session's stdin.
    if (head.length > 0) socket.unshift(head);
    void handle(platform, limits, { request, socket }).catch((error) => reject(socket, error));
  });
}

async function handle(
  platform: Platform,
  limits: AttachLimits,
  { request, socket }: { request: IncomingMessage; socket: Duplex },
): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://plat');
  const match = PATH.exec(url.pathname);
  if (!match || request.headers.upgrade !== ATTACH_PROTOCOL)
    throw new PlatError('not_found', `No such upgrade: ${url.pathname}`);
  const header = request.headers.authorization;
  const user = await authenticateClient(platform.sql, limits.failedAuth, {
    token: header?.startsWith('Bearer ') ? header.slice(7) : undefined,
    address: clientAddress(platform, request),
  });
  limits.userRate.charge(user.id);
  const appRow = await appForUser(platform.sql, user, match[1]!);
  const psql = match[2] === 'pg/psql';
  const command = url.searchParams.get('command') ?? '';
  if (!psql && (command.trim() === '' || command.length > 10_000))
    throw new PlatError('invalid_params', 'Give a command to run: plat run COMMAND');
  const addon = psql ? await postgresAddon(platform, appRow, url.searchParams.get('addon') ?? undefined) : undefined;
  const release = await currentRelease(platform.sql, appRow.id);
  if (!psql && !release?.image)
    throw new PlatError('invalid_params', `${appRow.name} has no release to run yet: git push platform main first.`);
  const tty = url.searchParams.get('tty') === '1';
  const cols = Number(url.searchParams.get('cols'));
  const rows = Number(url.searchParams.get('rows'));

  socket.write(`HTTP/1.1 101 Switching Protocols\r\nupgrade: ${ATTACH_PROTOCOL}\r\nconnection: Upgrade\r\n\r\n`);
  const aborted = new AbortController();
  socket.on('close', () => aborted.abort());
  socket.on('error', () => aborted.abort());
  // false: the client is behind, and the dyno's output pauses until the socket drains.
  const send = (kind: FrameKind, payload: Buffer | string): boolean => {
    if (socket.destroyed) return true;
    const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
    // The head, then the dyno's own chunk: no copy of every chunk of its output (one write to the socket still).
    socket.cork();
    socket.write(frameHead(kind, body.length));
    const flowing = socket.write(body);
    socket.uncork();
    return flowing;
  };
  const io = {
    tty,
    whenDrained: (resume: () => void) => {
      const go = () => {
        socket.off('drain', go).off('close', go);
        resume();
      };
      socket.on('drain', go).on('close', go);
    },
    ...(tty && cols > 0 && rows > 0 ? { size: { cols, rows } } : {}),
    stdin: socket,
    onStdout: (chunk: Buffer) => send(FrameKind.stdout, chunk),
    onStderr: (chunk: Buffer) => send(FrameKind.stderr, chunk),
  };
  try {
    if (addon) {
      send(FrameKind.exit, String(await platform.addons.attachExec(addon, ['psql', ...libpq(addon)], io)));
    } else {
      const session = await platform.controller.oneOffs.attach(appRow, release!, command, {
        ...io,
        signal: aborted.signal,
      });
      send(FrameKind.exit, String(await session.exitCode));
    }
  } catch (error) {
    send(FrameKind.error, error instanceof PlatError ? error.message : (error as Error).message);
  }
  socket.end();
}
