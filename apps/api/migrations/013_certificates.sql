-- HTTPS: the certificates the router serves per app, and whether Plat gets
-- them itself (ACME, `plat certs:auto:enable`). The chain and key are kept
-- here, so a state backup restores them; the router writes them to its
-- folder in the data dir (keys 0600) for nginx.
alter table apps add column acm boolean not null default false;

create table certificates (
  id uuid primary key default gen_random_uuid(),
  app_id uuid not null references apps(id) on delete cascade,
  -- manual: `plat certs:add`; acme: ordered by platd for one hostname.
  source text not null check (source in ('manual', 'acme')),
  -- acme: the hostname this row orders and renews; null for manual ones.
  hostname text,
  -- The leaf's DNS names, lowercased; the router serves each app hostname one of them covers.
  hostnames text[] not null default '{}',
  chain_pem text,
  key_pem text,
  -- SHA-256 of the leaf, colon-separated hex.
  fingerprint text,
  issuer text,
  not_before timestamptz,
  not_after timestamptz,
  -- acme: an order in flight since, failed orders in a row, the last failure and the CA's message.
  attempt_started_at timestamptz,
  failures integer not null default 0,
  last_failure_at timestamptz,
  last_error text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  check (source = 'acme' or (chain_pem is not null and key_pem is not null and fingerprint is not null)),
  check ((source = 'acme') = (hostname is not null)),
  unique (app_id, fingerprint)
);
create unique index certificates_acme_hostname on certificates (app_id, hostname) where source = 'acme';
