-- Dyno and add-on metrics from Docker's stats: one row per container per
-- point. `step` is the resolution in seconds: 10 (kept a day) or 300 (the
-- 5-minute roll-up, kept 30 days). Rows are written in one insert per tick.
create table metric_samples (
  app_id uuid not null references apps(id) on delete cascade,
  at timestamptz not null,
  step smallint not null check (step in (10, 300)),
  -- 'dyno' (type is the process type, name the dyno) or 'addon' (both the add-on's name).
  kind text not null check (kind in ('dyno', 'addon')),
  type text not null,
  name text not null,
  cpu_percent real not null,
  memory_bytes bigint not null,
  memory_limit_bytes bigint not null,
  rx_bytes bigint not null,
  tx_bytes bigint not null,
  restarts integer not null default 0
);
create index metric_samples_app on metric_samples (app_id, step, at);
create index metric_samples_age on metric_samples (step, at);
