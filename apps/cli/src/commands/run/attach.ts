import type { AttachedSession, Terminal } from '@plat/client/attach';
import { FrameDecoder, FrameKind } from '@plat/core';
import type { CommandContext } from '../../context.js';
import { resolveApp } from '../../context.js';

/**
 * One word is a command line as typed (`plat run 'echo a; exit 3'`); several
 * words are argv, each quoted as needed so the dyno's shell sees the same
 * words (`plat run python -c 'print(1)'`).
 */
export function commandLine(words: string[]): string {
  if (words.length === 1) return words[0]!;
  return words.map((word) => (/^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** This terminal's size when stdin and stdout are both one: the session then gets a TTY. */
function terminal(): Terminal | undefined {
  if (!process.stdin.isTTY || !process.stdout.isTTY) return undefined;
  return { cols: process.stdout.columns ?? 80, rows: process.stdout.rows ?? 24 };
}

/**
 * `plat run CMD`: a one-off dyno attached to this terminal. stdin goes in
 * (raw, with a TTY when there is one), its output comes out, and its exit
 * code becomes ours.
 */
export async function runAttached(words: string[], options: { app?: string }, context: CommandContext): Promise<void> {
  const name = await resolveApp(context, options.app);
  const tty = terminal();
  process.exitCode = await relay(context, await context.attach().run(name, commandLine(words), tty), Boolean(tty));
}

/** `plat pg:psql`: psql in the postgres add-on's own container, attached to this terminal. */
export async function psql(
  addon: string | undefined,
  options: { app?: string },
  context: CommandContext,
): Promise<void> {
  const name = await resolveApp(context, options.app);
  const tty = terminal();
  process.exitCode = await relay(context, await context.attach().psql(name, addon, tty), Boolean(tty));
}

/** Wires an attached session to this process's stdio; resolves with the remote exit code. */
function relay(context: CommandContext, { socket, head }: AttachedSession, tty: boolean): Promise<number> {
  return new Promise<number>((resolve) => {
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
    socket.on('data', onFrames).resume();
    if (tty) process.stdin.setRawMode(true);
    process.stdin.on('data', (chunk) => socket.write(chunk));
    process.stdin.on('end', () => socket.end());
    socket.on('close', () => {
      if (tty) process.stdin.setRawMode(false);
      process.stdin.pause();
      resolve(exitCode ?? 1);
    });
  });
}

export async function runDetached(words: string[], options: { app?: string }, context: CommandContext): Promise<void> {
  const name = await resolveApp(context, options.app);
  const command = commandLine(words);
  const run = await context.client().dynos.run(name, command);
  context.output.out(
    `Running ${command} on ${name} as ${run.name}... up. See its output with: plat logs --dyno ${run.name} -a ${name}`,
  );
}
