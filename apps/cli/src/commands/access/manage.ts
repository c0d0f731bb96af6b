import type { CommandContext } from '../../context.js';
import { resolveApp } from '../../context.js';
import { emit } from '../../output.js';
import { table } from '../../present.js';
import { withProgress } from '../../progress.js';

export async function listAccess(options: { app?: string; json?: boolean }, context: CommandContext): Promise<void> {
  const name = await resolveApp(context, options.app);
  const client = context.client();
  const [app, collaborators] = await Promise.all([client.apps.get(name), client.collaborators.list(name)]);
  const rows = [
    { email: app.owner, role: 'owner' },
    ...collaborators.map((c) => ({ email: c.email, role: 'collaborator' })),
  ];
  emit(context.output, options.json, rows, () =>
    table(
      ['Email', 'Role'],
      rows.map((r) => [r.email, r.role]),
    ),
  );
}

export async function addAccess(email: string, options: { app?: string }, context: CommandContext): Promise<void> {
  const name = await resolveApp(context, options.app);
  await withProgress(context, `Adding ${email} access to ${name}`, () =>
    context.client().collaborators.add(name, email),
  );
}

export async function removeAccess(email: string, options: { app?: string }, context: CommandContext): Promise<void> {
  const name = await resolveApp(context, options.app);
  await withProgress(context, `Removing ${email} access from ${name}`, () =>
    context.client().collaborators.remove(name, email),
  );
}
