-- app.json: the manifest applied to an app (on its first deploy, apps:create
-- --manifest or apps:setup). Kept for its scripts: postdeploy runs once after
-- the first release (postdeploy_at marks it taken), pr-predestroy before a
-- review app goes. A web dyno is ready once readiness_path answers 2xx/3xx.
alter table apps add column manifest jsonb;
alter table apps add column postdeploy_at timestamptz;
alter table apps add column readiness_path text;
-- Labs: per-app features (heroku-metadata: HEROKU_ names for dyno metadata).
alter table apps add column features text[] not null default '{}';
-- Dyno metadata (PLAT_SLUG_COMMIT): the commit a release's image was built from.
alter table releases add column source_commit text;
update releases set source_commit = builds.source_commit from builds where builds.id = releases.build_id;
