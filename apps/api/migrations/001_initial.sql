-- The control plane's model: users and their tokens, apps, config vars,
-- builds, releases and formation. Dynos are observed from Docker, not stored.
create table users (
  id uuid primary key default gen_random_uuid(),
  email text not null unique,
  admin boolean not null default false,
  created_at timestamptz not null default now()
);

create table tokens (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references users(id) on delete cascade,
  -- sha256 of the secret; the secret itself is shown once and never stored.
  hash text not null unique,
  description text not null default '',
  created_at timestamptz not null default now(),
  last_used_at timestamptz
);

create table apps (
  id uuid primary key default gen_random_uuid(),
  name text not null unique,
  owner_id uuid not null references users(id),
  stack text not null default 'plat/stack',
  maintenance boolean not null default false,
  -- Release versions come from this counter under the row lock, so
  -- concurrent changes get distinct, ordered versions.
  release_seq integer not null default 0,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table config_vars (
  app_id uuid not null references apps(id) on delete cascade,
  key text not null,
  value text not null,
  primary key (app_id, key)
);

create table builds (
  id uuid primary key default gen_random_uuid(),
  app_id uuid not null references apps(id) on delete cascade,
  status text not null default 'pending' check (status in ('pending', 'succeeded', 'failed')),
  source_commit text not null,
  buildpack text,
  image text,
  process_types jsonb,
  output text not null default '',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table releases (
  id uuid primary key default gen_random_uuid(),
  app_id uuid not null references apps(id) on delete cascade,
  version integer not null,
  description text not null,
  status text not null default 'pending' check (status in ('pending', 'succeeded', 'failed')),
  build_id uuid references builds(id) on delete set null,
  image text,
  config jsonb not null default '{}',
  process_types jsonb not null default '{}',
  created_at timestamptz not null default now(),
  unique (app_id, version)
);

create table formations (
  app_id uuid not null references apps(id) on delete cascade,
  type text not null,
  quantity integer not null check (quantity >= 0),
  size text not null default 'standard',
  primary key (app_id, type)
);
