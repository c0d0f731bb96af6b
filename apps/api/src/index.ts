export { settingsFromEnv, type Settings } from './config.js';
export { renderNginxConfig, type RouteTarget } from './router/nginx-config.js';
export { NginxRouter } from './router/nginx.js';
export { desiredDynos } from './controller/dyno-spec.js';
export { LABELS } from '@plat/core';
export { planReconcile } from './controller/reconcile.js';
export { HostFirewall } from './controller/host-firewall.js';
export { openDatabase } from './store/database.js';
export { migrate } from './store/migrate.js';
