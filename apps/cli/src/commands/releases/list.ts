import { PlatError } from '@plat/core';
import type { CommandContext } from '../../context.js';
import { resolveApp } from '../../context.js';
import { emit } from '../../output.js';
import { ago, header, keyValues, table } from '../../present.js';
import { withProgress } from '../../progress.js';

export async function listReleases(options: { app?: string; json?: boolean }, context: CommandContext): Promise<void> {
  const name = await resolveApp(context, options.app);
  const releases = await context.client().releases.list(name);
  emit(context.output, options.json, releases, () => [
    header(`${name} Releases`, context.output.colors),
    ...table(
      ['Version', 'Description', 'Status', 'Created'],
      releases.map((r) => [
        `v${r.version}${r.current ? ' (current)' : ''}`,
        r.description,
        r.status,
        ago(r.created_at),
      ]),
    ),
  ]);
}

export async function releaseInfo(
  version: string,
  options: { app?: string; json?: boolean },
  context: CommandContext,
): Promise<void> {
  const name = await resolveApp(context, options.app);
  const release = await context.client().releases.get(name, version);
  emit(context.output, options.json, release, () => [
    header(`Release v${release.version}`, context.output.colors),
    ...keyValues([
      ['Description', release.description],
      ['Status', release.status + (release.current ? ' (current)' : '')],
      ['Image', release.image ?? '(none)'],
      ['Created', release.created_at],
      ...(release.timings && Object.keys(release.timings).length > 0
        ? [
            [
              'Rollout',
              Object.entries(release.timings)
                .map(([phase, seconds]) => `${phase} ${seconds.toFixed(2)} s`)
                .join(', '),
            ] as [string, string],
          ]
        : []),
      ...Object.entries(release.process_types).map(([type, command]): [string, string] => [`Process ${type}`, command]),
    ]),
  ]);
}

/** Rolls back to the given release, or to the one before the current one. */
export async function rollback(
  version: string | undefined,
  options: { app?: string },
  context: CommandContext,
): Promise<void> {
  const name = await resolveApp(context, options.app);
  const client = context.client();
  let target = version;
  if (!target) {
    const releases = await client.releases.list(name);
    const current = releases.find((r) => r.current);
    // Releases from before the first deploy have no image: there is no code to go back to.
    const previous = releases.find(
      (r) => current && r.version < current.version && r.status === 'succeeded' && r.image,
    );
    if (!previous) throw new PlatError('not_found', `${name} has no earlier deploy to roll back to.`);
    target = `v${previous.version}`;
  }
  const release = await withProgress(
    context,
    `Rolling back ${name} to ${target.startsWith('v') ? target : `v${target}`}`,
    () => client.releases.rollback(name, target),
    (r) => `done, v${r.version}`,
  );
  context.output.out(`Released v${release.version}: ${release.description}`);
}
