import type { Metrics, MetricsQuery } from '@plat/core';
import { chooseStep, parseSince, toSeries } from '../metrics/metrics-query.js';
import type { Platform } from '../platform.js';
import type { AppRow } from '../store/apps.js';
import { readPoints } from '../store/metrics.js';

/** The app's dyno and add-on metrics since a time, at one resolution, one series per container. */
export async function appMetrics(
  platform: Platform,
  app: AppRow,
  query: MetricsQuery,
  now = new Date(),
): Promise<Metrics> {
  const since = parseSince(query.since, now);
  const step = chooseStep(query.step, since, now);
  const points = await readPoints(platform.sql, app.id, {
    since,
    step,
    ...(query.type ? { type: query.type } : {}),
  });
  return { since: since.toISOString(), step, series: toSeries(points) };
}
