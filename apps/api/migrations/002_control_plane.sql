-- Collaborators, domains, audit events, and restart generations.
create table collaborators (
  app_id uuid not null references apps(id) on delete cascade,
  user_id uuid not null references users(id) on delete cascade,
  created_at timestamptz not null default now(),
  primary key (app_id, user_id)
);

create table domains (
  id uuid primary key default gen_random_uuid(),
  app_id uuid not null references apps(id) on delete cascade,
  -- One hostname belongs to one app.
  hostname text not null unique,
  created_at timestamptz not null default now()
);

create table audit_events (
  id bigserial primary key,
  -- Kept after the app is destroyed: the name says which it was.
  app_id uuid references apps(id) on delete set null,
  app_name text not null,
  actor text not null,
  action text not null,
  data jsonb not null default '{}',
  created_at timestamptz not null default now()
);
create index audit_events_app on audit_events (app_id, id desc);

-- A restart bumps the generation; dyno names carry it, so restarted dynos
-- roll like a deploy (new ones up before old ones go).
alter table formations add column generation integer not null default 0;
