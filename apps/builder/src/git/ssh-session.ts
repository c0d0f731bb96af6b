import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { HOOKS_DIR, receiveChecks, repoPath, tidyLater } from './repository.js';
import type { GitService } from './smart-http.js';

/** The forced command sshd runs for every key (compiled ssh-shell.ts); platd writes its path into key lines. */
export const SSH_SHELL_SCRIPT = resolve(dirname(fileURLToPath(import.meta.url)), 'ssh-shell.js');

export interface GitSessionOptions {
  reposDir: string;
  app: string;
  service: GitService;
  /** Packs larger than this are refused by git itself, as over HTTP. */
  maxPushBytes: number;
  /** How the pre-receive hook reaches platd. */
  hookEnv: Record<string, string>;
  /** What the client sends (its git's stdin over SSH). */
  input: Readable;
  /** What git answers: the protocol, hook output in its side band (`remote:` lines); ended with git's stdout. */
  output: Writable;
  /** git's own stderr goes to platd's log, as for pushes over HTTP. */
  log(line: string): void;
}

const MAX_LOGGED_CHARS = 64 * 1024;

/**
 * One git session over SSH: `git receive-pack` or `git upload-pack` on the
 * app's repository, speaking git's own (not stateless) protocol with the
 * client through platd. Pushes get the same fsck and size checks and the
 * same pre-receive hook as over HTTP, so a build streams back the same way.
 * Resolves with git's exit code.
 */
export function runGitSession(options: GitSessionOptions): Promise<number> {
  const path = repoPath(options.reposDir, options.app);
  if (!existsSync(path)) return Promise.reject(new Error(`no repository for app ${options.app}`));
  const command = options.service === 'git-receive-pack' ? 'receive-pack' : 'upload-pack';
  const checks = command === 'receive-pack' ? receiveChecks(options.maxPushBytes) : [];
  const child = spawn('git', [...checks, '-c', `core.hooksPath=${HOOKS_DIR}`, command, path], {
    env: {
      ...process.env,
      ...options.hookEnv,
      GIT_TERMINAL_PROMPT: '0',
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let logged = 0;
  child.stderr.on('data', (chunk: Buffer) => {
    if (logged >= MAX_LOGGED_CHARS) return;
    logged += chunk.length;
    for (const line of chunk.toString().split('\n').filter(Boolean))
      options.log(`git ${command} ${options.app}: ${line}`);
  });
  child.stdout.pipe(options.output);
  options.input.pipe(child.stdin);
  options.input.on('error', () => child.kill());
  child.stdin.on('error', () => {});
  return new Promise((done) => {
    child.on('error', (error) => {
      options.log(`git ${command} ${options.app} did not start: ${error.message}`);
      done(1);
    });
    child.on('close', (code) => {
      options.input.unpipe(child.stdin);
      if (command === 'receive-pack') tidyLater(path);
      done(code ?? 1);
    });
  });
}
