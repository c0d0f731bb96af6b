import type { CommandContext } from '../../context.js';
import { emit } from '../../output.js';
import { ago, table } from '../../present.js';

export async function listApps(options: { json?: boolean }, context: CommandContext): Promise<void> {
  const apps = await context.client().apps.list();
  emit(context.output, options.json, apps, () =>
    apps.length === 0
      ? ['You have no apps. Create one: plat apps:create NAME']
      : table(
          ['Name', 'Owner', 'Web URL', 'Created'],
          apps.map((app) => [app.name, app.owner, app.web_url, ago(app.created_at)]),
        ),
  );
}
