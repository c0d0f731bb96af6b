import type { CommandContext } from '../../context.js';
import { resolveApp } from '../../context.js';
import { emit } from '../../output.js';
import { ago, header, table } from '../../present.js';
import { withProgress } from '../../progress.js';

export async function listDomains(options: { app?: string; json?: boolean }, context: CommandContext): Promise<void> {
  const name = await resolveApp(context, options.app);
  const client = context.client();
  const [app, domains] = await Promise.all([client.apps.get(name), client.domains.list(name)]);
  emit(context.output, options.json, domains, () => [
    header(`${name} Plat Domain`, context.output.colors),
    new URL(app.web_url).hostname,
    '',
    header(`${name} Custom Domains`, context.output.colors),
    ...(domains.length
      ? table(
          ['Domain Name', 'Added'],
          domains.map((d) => [d.hostname, ago(d.created_at)]),
        )
      : ['(none)']),
  ]);
}

export async function addDomain(
  hostname: string,
  options: { app?: string; json?: boolean },
  context: CommandContext,
): Promise<void> {
  const name = await resolveApp(context, options.app);
  const domain = await withProgress(context, `Adding ${hostname} to ${name}`, () =>
    context.client().domains.add(name, hostname),
  );
  emit(context.output, options.json, domain, () => [
    `Point ${domain.hostname}'s DNS at this server; the router answers it now.`,
  ]);
}

export async function removeDomain(
  hostname: string,
  options: { app?: string },
  context: CommandContext,
): Promise<void> {
  const name = await resolveApp(context, options.app);
  await withProgress(context, `Removing ${hostname} from ${name}`, () =>
    context.client().domains.remove(name, hostname),
  );
}
