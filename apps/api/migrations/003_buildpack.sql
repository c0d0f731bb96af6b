-- An app may choose its buildpack (plat buildpacks:set) instead of detection.
alter table apps add column buildpack text;
