import type { CommandContext } from '../../context.js';
import { resolveApp } from '../../context.js';
import { emit } from '../../output.js';
import { table } from '../../present.js';
import { megabytes, summarize } from './summary.js';

/** plat metrics: per process type (and add-on), memory and CPU over a period, restarts and R14s. */
export async function showMetrics(
  options: { app?: string; json?: boolean; since?: string; type?: string },
  context: CommandContext,
): Promise<void> {
  const name = await resolveApp(context, options.app);
  const since = options.since ?? '1h';
  const metrics = await context.client().metrics(name, { since, ...(options.type ? { type: options.type } : {}) });
  emit(context.output, options.json, metrics, () => {
    const summary = summarize(metrics);
    if (summary.length === 0) return [`No metrics for ${name} in the last ${since} yet: they are taken every 10 s.`];
    const rows = summary.map((entry) => [
      entry.kind === 'addon' ? `${entry.type} (add-on)` : entry.type,
      String(entry.containers),
      `${megabytes(entry.memoryAvg)} / ${megabytes(entry.memoryMax)}`,
      megabytes(entry.limit),
      `${entry.cpuAvg.toFixed(1)}% / ${entry.cpuMax.toFixed(1)}%`,
      String(entry.restarts),
      String(entry.overQuota),
    ]);
    return [
      `Metrics of ${name}, last ${since} (${metrics.step} s points):`,
      ...table(['type', 'dynos', 'memory avg / max', 'limit', 'cpu avg / max', 'restarts', 'R14'], rows),
    ];
  });
}
