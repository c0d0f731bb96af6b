-- Each app network's subnet is a block of PLAT_NETWORK_POOL that platd hands
-- out itself (Docker's default address pools hold only ~30 networks). A block
-- is reserved with its app's row and freed with it, which goes only after the
-- app's network is removed. Apps from before this have none until their
-- network is next created.
create table network_blocks (
  subnet cidr primary key,
  app_id uuid not null unique references apps(id) on delete cascade,
  created_at timestamptz not null default now()
);
