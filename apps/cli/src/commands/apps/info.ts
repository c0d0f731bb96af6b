import type { CommandContext } from '../../context.js';
import { resolveApp } from '../../context.js';
import { emit } from '../../output.js';
import { header, keyValues } from '../../present.js';

export async function appInfo(options: { app?: string; json?: boolean }, context: CommandContext): Promise<void> {
  const client = context.client();
  const name = await resolveApp(context, options.app);
  const [app, formation, domains, collaborators] = await Promise.all([
    client.apps.get(name),
    client.formation.list(name),
    client.domains.list(name),
    client.collaborators.list(name),
  ]);
  emit(context.output, options.json, { ...app, formation, domains, collaborators }, () => [
    header(app.name, context.output.colors),
    ...keyValues([
      ['Owner', app.owner],
      ['Collaborators', collaborators.map((c) => c.email).join(', ') || '(none)'],
      ['Dynos', formation.map((f) => `${f.type}: ${f.quantity}`).join(', ') || '(none)'],
      ['Domains', domains.map((d) => d.hostname).join(', ') || '(none)'],
      ['Maintenance', app.maintenance ? 'on' : 'off'],
      ['Stack', app.stack],
      ['Web URL', app.web_url],
      ['Git URL', app.git_url],
      ['Created', app.created_at],
    ]),
  ]);
}

export async function openApp(options: { app?: string }, context: CommandContext): Promise<void> {
  const app = await context.client().apps.get(await resolveApp(context, options.app));
  context.output.out(app.web_url);
}
