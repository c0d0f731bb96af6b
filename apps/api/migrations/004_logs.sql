-- Each app's recent log lines (dynos, router, builds, platform events), kept
-- across deploys and platd restarts; trimmed to the newest lines per app.
create table log_lines (
  id bigserial primary key,
  app_id uuid not null references apps(id) on delete cascade,
  at timestamptz not null,
  source text not null check (source in ('app', 'router', 'build', 'plat')),
  dyno text not null default '',
  line text not null
);
create index log_lines_app on log_lines (app_id, id desc);
