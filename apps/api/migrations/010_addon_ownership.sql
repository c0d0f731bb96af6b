-- Add-ons belong to exactly one app. A row is written (state 'provisioning')
-- before anything is made in Docker, so its unique name and (app, attachment)
-- are reserved first; it turns 'active' with its config var in one
-- transaction, and 'destroying' before its parts are removed. A platd start
-- finishes or undoes rows left in either in-between state.
alter table addons add column state text not null default 'active'
  check (state in ('provisioning', 'active', 'destroying'));
-- Docker objects of add-ons made from now on are named and labelled by the
-- row's id; those made before were named by the add-on's name, and keep it.
alter table addons add column legacy_names boolean not null default true;
alter table addons alter column legacy_names set default false;
create index addons_unsettled on addons (state) where state <> 'active';
