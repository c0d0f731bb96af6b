import { Type } from '@sinclair/typebox';

export const MetricsQuerySchema = Type.Object({
  since: Type.Optional(
    Type.String({
      pattern: '^([1-9][0-9]{0,4}[smhd]|\\d{4}-\\d{2}-\\d{2}T[0-9:.]+(Z|[+-]\\d{2}:\\d{2}))$',
      description: 'How far back: a duration (`30m`, `1h`, `24h`, `30d`) or an ISO time; default 1h',
    }),
  ),
  step: Type.Optional(
    Type.Union([Type.Literal('10'), Type.Literal('300')], {
      description: 'Resolution in seconds: 10 (kept 24 h) or 300 (kept 30 days); default 10 within 24 h, else 300',
    }),
  ),
  type: Type.Optional(
    Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$', description: 'Only this process type, or this add-on' }),
  ),
});

export const MetricPointSchema = Type.Object({
  at: Type.String({ format: 'date-time' }),
  cpu_percent: Type.Number({ description: '100 is one whole CPU' }),
  memory_bytes: Type.Number({ description: 'In use, less reclaimable file cache (as docker stats)' }),
  memory_limit_bytes: Type.Number(),
  rx_bytes: Type.Number({ description: 'Received since the container started' }),
  tx_bytes: Type.Number({ description: 'Sent since the container started' }),
  restarts: Type.Integer(),
});

export const MetricSeriesSchema = Type.Object({
  kind: Type.Union([Type.Literal('dyno'), Type.Literal('addon')]),
  type: Type.String({ description: 'Process type, or the add-on name' }),
  name: Type.String({ description: 'Dyno (`web.1`), or the add-on name' }),
  points: Type.Array(MetricPointSchema),
});

export const MetricsSchema = Type.Object({
  since: Type.String({ format: 'date-time' }),
  step: Type.Integer(),
  series: Type.Array(MetricSeriesSchema),
});
