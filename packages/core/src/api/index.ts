/**
 * The API's shapes, once: platd validates requests against these TypeBox
 * schemas, shapes responses by them and makes /v1/openapi.json from them;
 * model.ts derives the types the client, the CLI and the dashboard use.
 */
export * from './common.js';
export * from './apps.js';
export * from './releases.js';
export * from './dynos.js';
export * from './addons.js';
export * from './accounts.js';
export * from './platform.js';
export * from './certs.js';
export * from './keys.js';
export * from './pipelines.js';
export * from './drains.js';
export * from './app-setups.js';
export * from './webhooks.js';
export * from './metrics.js';
export * from './events.js';
export * from './nodes.js';
export * from './backup-target.js';
export * from './plat-archive.js';
