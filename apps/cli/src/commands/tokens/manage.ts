import type { Token } from '@plat/core';
import type { CommandContext } from '../../context.js';
import { parseDuration } from '../../duration.js';
import { emit } from '../../output.js';
import { ago, table } from '../../present.js';

/** "never", "expired", or "in 29 days". */
export function expiry(token: Pick<Token, 'expires_at'>, now = Date.now()): string {
  if (!token.expires_at) return 'never';
  return new Date(token.expires_at).getTime() <= now ? 'expired' : ago(token.expires_at, now);
}

export function tokenTable(tokens: Token[]): string[] {
  return table(
    ['Id', 'Description', 'Created', 'Last used', 'Expires'],
    tokens.map((t) => [t.id, t.description, ago(t.created_at), ago(t.last_used_at), expiry(t)]),
  );
}

export async function listTokens(options: { json?: boolean }, context: CommandContext): Promise<void> {
  const tokens = await context.client().tokens.list();
  emit(context.output, options.json, tokens, () => tokenTable(tokens));
}

export async function createToken(
  options: { description?: string; expiresIn?: string; json?: boolean },
  context: CommandContext,
): Promise<void> {
  const expiresIn = options.expiresIn === undefined ? undefined : parseDuration(options.expiresIn);
  const token = await context.client().tokens.create({
    ...(options.description === undefined ? {} : { description: options.description }),
    ...(expiresIn === undefined ? {} : { expiresIn }),
  });
  const expires = token.expires_at ? ` It expires ${token.expires_at}.` : '';
  emit(context.output, options.json, token, () => [
    `Token ${token.id} created.${expires} It is shown once; store it now:`,
    token.token,
  ]);
}

export async function revokeToken(id: string, _options: object, context: CommandContext): Promise<void> {
  await context.client().tokens.revoke(id);
  context.output.out(`Token ${id} revoked`);
}
