-- Log drains (`plat drains:add URL`): where an app's log stream is also
-- delivered, over syslog (TCP or TLS) or HTTPS. The token names the drain in
-- every message it carries (Heroku's `d.<uuid>`), so a receiver shared by
-- several apps can tell them apart. Drains go with their app.
create table log_drains (
  id uuid primary key default gen_random_uuid(),
  app_id uuid not null references apps(id) on delete cascade,
  url text not null,
  token text not null unique,
  created_at timestamptz not null default now(),
  unique (app_id, url)
);
