import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { ATTACH_PROTOCOL, FrameDecoder, FrameKind, PlatError, isErrorId } from '@plat/core';
import type { CommandContext } from '../../context.js';
import { resolveApp } from '../../context.js';
import { requireCredentials } from '../../credentials.js';

/**
 * One word is a command line as typed (`plat run 'echo a; exit 3'`); several
 * words are argv, each quoted as needed so the dyno's shell sees the same
 * words (`plat run python -c 'print(1)'`).
 */
export function commandLine(words: string[]): string {
  if (words.length === 1) return words[0]!;
  return words.map((word) => (/^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/**
 * `plat run CMD`: a one-off dyno attached to this terminal. stdin goes in
 * (raw, with a TTY when there is one), its output comes out, and its exit
 * code becomes ours.
 */
export async function runAttached(words: string[], options: { app?: string }, context: CommandContext): Promise<void> {
  const name = await resolveApp(context, options.app);
  process.exitCode = await attachSession(context, `/v1/apps/${encodeURIComponent(name)}/dynos/attach`, { command: commandLine(words) });
}

/** `plat pg:psql`: psql in the postgres add-on's own container, attached to this terminal. */
export async function psql(addon: string | undefined, options: { app?: string }, context: CommandContext): Promise<void> {
  const name = await resolveApp(context, options.app);
  process.exitCode = await attachSession(context, `/v1/apps/${encodeURIComponent(name)}/pg/psql`, addon ? { addon } : {});
}

/** Opens an attached session (see apps/api's http/attach.ts) and resolves with the remote exit code. */
async function attachSession(context: CommandContext, path: string, params: Record<string, string>): Promise<number> {
  const { apiUrl, token } = requireCredentials(context.env);
  const tty = Boolean(process.stdin.isTTY && process.stdout.isTTY);
  const url = new URL(`${apiUrl}${path}`);
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
  if (tty) {
    url.searchParams.set('tty', '1');
    url.searchParams.set('cols', String(process.stdout.columns ?? 80));
    url.searchParams.set('rows', String(process.stdout.rows ?? 24));
  }
  const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, {
    headers: { connection: 'Upgrade', upgrade: ATTACH_PROTOCOL, authorization: `Bearer ${token}` },
  });
  const code = await new Promise<number>((resolve, reject) => {
    request.on('error', (error) => reject(new PlatError('unavailable', `Could not reach the Plat API at ${apiUrl} (${(error as NodeJS.ErrnoException).code ?? error.message})`)));
    request.on('response', (response) => {
      let body = '';
      response.on('data', (chunk) => (body += chunk));
      response.on('end', () => {
        const payload = (() => {
          try {
            return JSON.parse(body) as { id?: unknown; message?: unknown };
          } catch {
            return {};
          }
        })();
        reject(new PlatError(isErrorId(payload.id) ? payload.id : 'internal_error', typeof payload.message === 'string' ? payload.message : `HTTP ${response.statusCode}`));
      });
    });
    request.on('upgrade', (_response, socket, head) => {
      const decoder = new FrameDecoder();
      let exitCode: number | undefined;
      const onFrames = (chunk: Buffer) => {
        for (const frame of decoder.push(chunk)) {
          if (frame.kind === FrameKind.stdout) process.stdout.write(frame.payload);
          else if (frame.kind === FrameKind.stderr) process.stderr.write(frame.payload);
          else if (frame.kind === FrameKind.exit) exitCode = Number(frame.payload.toString());
          else if (frame.kind === FrameKind.error) context.output.err(` !    ${frame.payload.toString()}`);
        }
      };
      if (head.length) onFrames(head);
      socket.on('data', onFrames);
      if (tty) process.stdin.setRawMode(true);
      process.stdin.on('data', (chunk) => socket.write(chunk));
      process.stdin.on('end', () => socket.end());
      socket.on('close', () => {
        if (tty) process.stdin.setRawMode(false);
        process.stdin.pause();
        resolve(exitCode ?? 1);
      });
    });
    request.end();
  });
  return code;
}

export async function runDetached(words: string[], options: { app?: string }, context: CommandContext): Promise<void> {
  const name = await resolveApp(context, options.app);
  const command = commandLine(words);
  const run = await context.client().request<{ name: string }>('POST', `/v1/apps/${encodeURIComponent(name)}/dynos`, { command });
  context.output.out(`Running ${command} on ${name} as ${run.name}... up. See its output with: plat logs --dyno ${run.name} -a ${name}`);
}
