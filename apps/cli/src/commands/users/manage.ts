import type { CommandContext } from '../../context.js';
import { emit } from '../../output.js';
import { ago, table } from '../../present.js';
import { withProgress } from '../../progress.js';
import { tokenTable } from '../tokens/manage.js';

export async function listUsers(options: { json?: boolean }, context: CommandContext): Promise<void> {
  const users = await context.client().users.list();
  emit(context.output, options.json, users, () =>
    table(
      ['Email', 'Role', 'Status', 'Apps', 'Tokens', 'Created'],
      users.map((u) => [
        u.email,
        u.admin ? 'admin' : 'user',
        u.disabled ? `disabled ${ago(u.disabled_at)}` : 'active',
        String(u.apps),
        String(u.tokens),
        ago(u.created_at),
      ]),
    ),
  );
}

export async function createUser(
  email: string,
  options: { admin?: boolean; json?: boolean },
  context: CommandContext,
): Promise<void> {
  const user = await context.client().users.create(email, { admin: options.admin === true });
  emit(context.output, options.json, user, () => [
    `Created ${user.email}${user.admin ? ' (admin)' : ''}. Their first token is shown once; pass it on now:`,
    user.token,
  ]);
}

export async function setUserDisabled(email: string, disabled: boolean, context: CommandContext): Promise<void> {
  await withProgress(context, `${disabled ? 'Disabling' : 'Enabling'} ${email}`, () =>
    context.client().users.setDisabled(email, disabled),
  );
  if (disabled)
    context.output.out(
      `${email}'s tokens no longer work (API and git); their apps keep running. Undo with plat users:enable ${email}`,
    );
}

export async function listUserTokens(
  email: string,
  options: { json?: boolean },
  context: CommandContext,
): Promise<void> {
  const tokens = await context.client().users.tokens(email);
  emit(context.output, options.json, tokens, () => tokenTable(tokens));
}
