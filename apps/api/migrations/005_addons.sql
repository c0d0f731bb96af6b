-- Add-ons: a backing service (its own container) attached to an app.
create table addons (
  id uuid primary key default gen_random_uuid(),
  app_id uuid not null references apps(id) on delete cascade,
  -- Also the container's name on the app's network, so unique per platd.
  name text not null unique,
  provider text not null,
  plan text not null,
  -- The config var prefix: DATABASE gives DATABASE_URL.
  attachment text not null,
  credentials jsonb not null,
  created_at timestamptz not null default now(),
  unique (app_id, attachment)
);
