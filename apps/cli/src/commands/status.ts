import type { CommandContext } from '../context.js';
import { emit } from '../output.js';
import { keyValues } from '../present.js';

export async function status(options: { json?: boolean }, context: CommandContext): Promise<void> {
  const health = await context.client().status();
  emit(context.output, options.json, health, () => [
    `Plat at ${context.client().apiUrl}: ${health.status}`,
    ...keyValues(
      Object.entries(health.checks).map(([name, check]) => [name, `${check.ok ? 'ok' : 'FAILING'}: ${check.detail}`]),
    ),
  ]);
  if (health.status !== 'ok') process.exitCode = 1;
}
