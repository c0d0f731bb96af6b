import type { CommandContext } from '../../context.js';
import { emit } from '../../output.js';
import { ago, table } from '../../present.js';

export async function listTokens(options: { json?: boolean }, context: CommandContext): Promise<void> {
  const tokens = await context.client().tokens();
  emit(context.output, options.json, tokens, () =>
    table(['Id', 'Description', 'Created', 'Last used'], tokens.map((t) => [t.id, t.description, ago(t.created_at), ago(t.last_used_at)])),
  );
}

export async function createToken(options: { description?: string; json?: boolean }, context: CommandContext): Promise<void> {
  const token = await context.client().createToken(options.description);
  emit(context.output, options.json, token, () => [`Token ${token.id} created. It is shown once; store it now:`, token.token]);
}

export async function revokeToken(id: string, _options: object, context: CommandContext): Promise<void> {
  await context.client().revokeToken(id);
  context.output.out(`Token ${id} revoked`);
}
