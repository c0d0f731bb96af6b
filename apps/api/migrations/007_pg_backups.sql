-- pg_dump files of postgres add-ons, kept in the data dir; and daily schedules.
create table pg_backups (
  id uuid primary key default gen_random_uuid(),
  app_id uuid not null references apps(id) on delete cascade,
  number integer not null,
  addon_name text not null,
  file text not null,
  size_bytes bigint not null,
  created_at timestamptz not null default now(),
  unique (app_id, number)
);

alter table scheduler_jobs add column kind text not null default 'command' check (kind in ('command', 'pg_backup'));
