import type { CommandContext } from '../../context.js';
import { resolveApp } from '../../context.js';
import { emit } from '../../output.js';
import { ago, header } from '../../present.js';
import { withProgress } from '../../progress.js';
import { latestByName, usageText } from '../metrics/summary.js';

export async function listDynos(options: { app?: string; json?: boolean }, context: CommandContext): Promise<void> {
  const name = await resolveApp(context, options.app);
  const client = context.client();
  const [dynos, formation, metrics] = await Promise.all([
    client.dynos.list(name),
    client.formation.list(name),
    // Usage is extra: a platd without metrics (or none yet) still lists dynos.
    client.metrics(name, { since: '1m' }).catch(() => undefined),
  ]);
  const usage = metrics ? latestByName(metrics) : new Map();
  emit(context.output, options.json, dynos, () => {
    if (dynos.length === 0) return [`No dynos on ${name}. Scale up: plat scale web=1 -a ${name}`];
    const lines: string[] = [];
    for (const entry of formation) {
      const ofType = dynos.filter((d) => d.type === entry.type);
      if (ofType.length === 0) continue;
      lines.push(
        header(`${entry.type} (${entry.size}): ${entry.command ?? ''} (${ofType.length})`, context.output.colors),
      );
      for (const dyno of ofType) {
        const exit = dyno.state === 'crashed' && dyno.exit_code !== null ? `, exit ${dyno.exit_code}` : '';
        const restarts = dyno.restarts > 0 ? `, ${dyno.restarts} restart${dyno.restarts === 1 ? '' : 's'}` : '';
        if (dyno.state === 'sleeping') {
          const since = dyno.sleeping_since ?? dyno.created_at;
          lines.push(`${dyno.name}: sleeping since ${since} (${ago(since)}, v${dyno.release}); a request wakes it`);
          continue;
        }
        const used = dyno.state === 'up' && usage.get(dyno.name);
        lines.push(
          `${dyno.name}: ${dyno.state} ${ago(dyno.created_at)} (v${dyno.release}${exit}${restarts})` +
            (dyno.node ? ` on ${dyno.node}` : '') +
            (used ? `: ${usageText(used)}` : ''),
        );
      }
      lines.push('');
    }
    return lines.slice(0, -1);
  });
}

export async function restartDynos(
  target: string | undefined,
  options: { app?: string },
  context: CommandContext,
): Promise<void> {
  const name = await resolveApp(context, options.app);
  await withProgress(context, `Restarting ${target ?? 'all'} dynos on ${name}`, () =>
    context.client().dynos.restart(name, target),
  );
}

export async function stopDynos(target: string, options: { app?: string }, context: CommandContext): Promise<void> {
  const name = await resolveApp(context, options.app);
  await withProgress(context, `Stopping ${target} dynos on ${name}`, () => context.client().dynos.stop(name, target));
}
