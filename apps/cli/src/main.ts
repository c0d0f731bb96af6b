import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { PlatError } from '@plat/core';
import { registerCommands } from './commands/index.js';
import { makeContext } from './context.js';
import { consoleOutput, type Output } from './output.js';

const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string })
  .version;

const HINTS: Partial<Record<string, string>> = {
  unauthorized: 'Run plat login first (or set PLAT_TOKEN).',
  unavailable: 'Is platd running? Check PLAT_API_URL, or run plat login --api-url URL.',
};

/** Runs the CLI; returns the exit code. The one place errors become messages. */
export async function main(rawArgv: string[], output: Output = consoleOutput): Promise<number> {
  // --debug works anywhere before a `--` (what follows belongs to plat run's command).
  const separator = rawArgv.indexOf('--') === -1 ? rawArgv.length : rawArgv.indexOf('--');
  const debug = rawArgv.slice(0, separator).includes('--debug');
  const argv = [...rawArgv.slice(0, separator).filter((arg) => arg !== '--debug'), ...rawArgv.slice(separator)];
  const program = new Command('plat')
    .description('Plat: deploy apps with git push, Heroku-style, on your own servers')
    .version(VERSION, '-v, --version', 'show the version of plat')
    .option('--debug', 'show error ids and stacks')
    .showSuggestionAfterError(true)
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({
      writeOut: (text) => output.out(text.trimEnd()),
      writeErr: (text) => output.err(text.trimEnd()),
    });
  registerCommands(program, makeContext(output));
  try {
    await program.parseAsync(argv);
    // Commands that pass on another program's status (plat run) set it here.
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    if (error instanceof PlatError) {
      output.err(` !    ${error.message}${debug ? ` (id: ${error.id})` : ''}`);
      // platd's own 503s (a full network pool, Docker down) say what to do; the hint is for an API not reached.
      const hint =
        error.id === 'unavailable' && !error.message.startsWith('Could not reach') ? undefined : HINTS[error.id];
      if (hint && !error.message.includes('plat login')) output.err(` !    ${hint}`);
      return error.status === 401 ? 3 : 1;
    }
    output.err(` !    ${(error as Error).message}`);
    if (debug) output.err((error as Error).stack ?? '');
    return 1;
  }
}
