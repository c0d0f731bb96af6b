-- Pipelines (Heroku's): apps of one codebase in stages, so that the image
-- tested in staging is the one production runs. An app is in at most one
-- pipeline (the coupling's key is the app), and leaves it when destroyed.
create table pipelines (
  id uuid primary key default gen_random_uuid(),
  name text not null unique,
  owner_id uuid not null references users(id),
  created_at timestamptz not null default now()
);

create table pipeline_couplings (
  app_id uuid primary key references apps(id) on delete cascade,
  pipeline_id uuid not null references pipelines(id) on delete cascade,
  stage text not null check (stage in ('review', 'development', 'staging', 'production')),
  created_at timestamptz not null default now()
);
create index pipeline_couplings_pipeline on pipeline_couplings (pipeline_id);

-- Review apps: temporary apps built from a branch of the pipeline's staging
-- app. platd destroys them (pr-predestroy first) once expires_at has passed.
create table review_apps (
  app_id uuid primary key references apps(id) on delete cascade,
  pipeline_id uuid not null references pipelines(id) on delete cascade,
  source_app_id uuid references apps(id) on delete set null,
  branch text not null,
  source_commit text not null,
  expires_at timestamptz,
  created_at timestamptz not null default now()
);
create index review_apps_expiry on review_apps (expires_at) where expires_at is not null;
