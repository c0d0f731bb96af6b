import type { CommandContext } from './context.js';

/**
 * Shows a wait: a spinner on a terminal, plain lines elsewhere (pipes, CI,
 * NO_COLOR); either way it ends with the result or the failure.
 */
export async function withProgress<T>(
  context: CommandContext,
  text: string,
  work: () => Promise<T>,
  done: (result: T) => string = () => 'done',
): Promise<T> {
  const fancy = Boolean(process.stderr.isTTY) && !context.env.NO_COLOR && context.output.isConsole;
  // Loaded only for a terminal: its evaluation is part of every plat start otherwise.
  const spinner = fancy
    ? (await import('ora')).default({ text: `${text}...`, stream: process.stderr }).start()
    : undefined;
  try {
    const result = await work();
    if (spinner) spinner.succeed(`${text}... ${done(result)}`);
    else context.output.err(`${text}... ${done(result)}`);
    return result;
  } catch (error) {
    if (spinner) spinner.fail(`${text}... failed`);
    else context.output.err(`${text}... failed`);
    throw error;
  }
}
