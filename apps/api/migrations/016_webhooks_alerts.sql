-- App webhooks (plat webhooks:add) and alerts (plat alerts).
-- A webhook's secret signs its deliveries, so it is kept as given (like an
-- add-on's credentials); the API shows it only when it is made.
create table webhooks (
  id uuid primary key default gen_random_uuid(),
  app_id uuid not null references apps(id) on delete cascade,
  url text not null,
  -- Entities it receives: api:release, api:build, dyno, api:addon, api:formation, alert.
  include text[] not null,
  -- notify: one attempt; sync: retried with backoff for up to 24 hours.
  level text not null default 'sync',
  secret text not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index webhooks_app on webhooks (app_id);

-- What happened, once per app, whatever number of webhooks receive it.
create table webhook_events (
  id uuid primary key default gen_random_uuid(),
  app_id uuid not null references apps(id) on delete cascade,
  include text not null,
  -- The Heroku-shaped body without webhook_metadata, which differs per attempt.
  body jsonb not null,
  created_at timestamptz not null default now()
);
create index webhook_events_app on webhook_events (app_id, created_at);

-- One event to one webhook; durable, so a platd restart resumes the retries.
create table webhook_deliveries (
  id uuid primary key default gen_random_uuid(),
  webhook_id uuid not null references webhooks(id) on delete cascade,
  event_id uuid not null references webhook_events(id) on delete cascade,
  -- pending (not tried yet), retrying, succeeded, failed (gave up).
  status text not null default 'pending',
  attempts integer not null default 0,
  next_attempt_at timestamptz,
  last_code integer,
  last_error text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index webhook_deliveries_due on webhook_deliveries (next_attempt_at) where status in ('pending', 'retrying');
create index webhook_deliveries_hook on webhook_deliveries (webhook_id, created_at);

-- Every attempt of a delivery, with the receiver's answer.
create table webhook_attempts (
  id uuid primary key default gen_random_uuid(),
  delivery_id uuid not null references webhook_deliveries(id) on delete cascade,
  code integer,
  error text,
  duration_ms integer not null,
  created_at timestamptz not null default now()
);
create index webhook_attempts_delivery on webhook_attempts (delivery_id, created_at);

-- Alerts: open until what caused them is resolved; app_id null for the
-- whole platform (the data dir's disk). One open alert per app, kind and subject.
create table alerts (
  id uuid primary key default gen_random_uuid(),
  app_id uuid references apps(id) on delete cascade,
  kind text not null,
  subject text not null,
  message text not null,
  opened_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  resolved_at timestamptz
);
create unique index alerts_open on alerts (coalesce(app_id, '00000000-0000-0000-0000-000000000000'::uuid), kind, subject)
  where resolved_at is null;
create index alerts_app on alerts (app_id, opened_at);
