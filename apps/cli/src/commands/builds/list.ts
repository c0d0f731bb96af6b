import { PlatError } from '@plat/core';
import type { CommandContext } from '../../context.js';
import { resolveApp } from '../../context.js';
import { emit } from '../../output.js';
import { ago, header, table } from '../../present.js';

export async function listBuilds(options: { app?: string; json?: boolean }, context: CommandContext): Promise<void> {
  const name = await resolveApp(context, options.app);
  const builds = await context.client().builds.list(name);
  emit(context.output, options.json, builds, () => [
    header(`${name} Builds`, context.output.colors),
    ...table(
      ['Id', 'Status', 'Commit', 'Buildpack', 'Created'],
      builds.map((b) => [b.id, b.status, b.source_commit.slice(0, 7), b.buildpack ?? '', ago(b.created_at)]),
    ),
  ]);
}

export async function buildOutput(
  id: string | undefined,
  options: { app?: string },
  context: CommandContext,
): Promise<void> {
  const name = await resolveApp(context, options.app);
  const client = context.client();
  const buildId = id ?? (await client.builds.list(name))[0]?.id;
  if (!buildId) throw new PlatError('not_found', `${name} has no builds yet: git push platform main`);
  context.output.out((await client.builds.get(name, buildId)).output ?? '');
}
