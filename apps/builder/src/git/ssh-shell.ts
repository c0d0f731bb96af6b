/**
 * The forced command of every key sshd accepts, run as the `git` account
 * with the socket of platd and the key's id as arguments: it checks what the
 * client asked for (SSH_ORIGINAL_COMMAND), then hands the session to platd
 * over its socket, which decides whether the key's user may use the app and
 * runs git itself. This side holds no secret and touches no repository.
 * Frames from platd: stdout (git's protocol), stderr, exit (code), error (a
 * refusal, shown as ` !     message`).
 */
import { connect } from 'node:net';
import { FrameDecoder, FrameKind } from '@plat/core';
import { parseSshCommand } from './ssh-command.js';

const [socketPath = '', keyId = ''] = process.argv.slice(2);
const request = parseSshCommand(process.env.SSH_ORIGINAL_COMMAND, 'git push platform main');

let finished = false;
function finish(code: number, message?: string): void {
  if (finished) return;
  finished = true;
  if (message) process.stderr.write(` !     ${message}\n`);
  process.stdout.write('', () => process.exit(code));
}

if (!request.ok) {
  finish(1, request.message);
} else {
  const socket = connect(socketPath);
  const decoder = new FrameDecoder();
  let exitCode: number | undefined;
  socket.on('connect', () => {
    socket.write(`${JSON.stringify({ key: keyId, service: request.service, app: request.app })}\n`);
    process.stdin.pipe(socket);
  });
  socket.on('data', (chunk: Buffer) => {
    for (const frame of decoder.push(chunk)) {
      if (frame.kind === FrameKind.stdout) {
        // A slow client (a big fetch) holds platd back instead of filling memory here.
        if (!process.stdout.write(frame.payload)) {
          socket.pause();
          process.stdout.once('drain', () => socket.resume());
        }
      } else if (frame.kind === FrameKind.stderr) process.stderr.write(frame.payload);
      else if (frame.kind === FrameKind.exit) exitCode = Number(frame.payload.toString()) || 0;
      else if (frame.kind === FrameKind.error) {
        process.stderr.write(` !     ${frame.payload.toString()}\n`);
        exitCode = 1;
      }
    }
  });
  socket.on('error', (error: NodeJS.ErrnoException) => {
    const down = error.code === 'ENOENT' || error.code === 'ECONNREFUSED';
    finish(
      1,
      down ? 'Plat is not running on this server right now; try again shortly.' : 'The connection to Plat broke.',
    );
  });
  socket.on('close', () => {
    if (exitCode === undefined) finish(1, 'Plat ended the session before git finished.');
    else finish(exitCode);
  });
}
