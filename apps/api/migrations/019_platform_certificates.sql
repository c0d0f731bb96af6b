-- PLAT_API_DOMAIN: the router serves platd's API on its own hostname, and
-- when no certificate files are given platd orders that certificate by ACME
-- itself, in the same renewal loop as apps' ones: a certificate of no app.
alter table certificates alter column app_id drop not null;
-- Only automatic ones: an own certificate for the API domain comes from files, not the store.
alter table certificates add check (app_id is not null or source = 'acme');
create unique index certificates_platform_hostname on certificates (hostname) where app_id is null;
