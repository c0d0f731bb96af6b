/**
 * Renders the router's whole nginx configuration from data: pure, so every
 * routing rule is tested without nginx. The process side writes it
 * atomically, checks it with `nginx -t` and reloads.
 */
import { ROUTER_LOG_FORMAT } from '../logs/router-line.js';
import type { RouteTarget } from './router.js';

export type { RouteTarget };

export interface RouterConfigInput {
  /** The router's own folder: pid, error log, temp files. */
  dir: string;
  /** Where each app's request lines go, one file per app. */
  logDir: string;
  listenHost: string;
  port: number;
  routes: RouteTarget[];
  /** Set when nginx runs as root: its workers drop to this user. */
  workerUser?: string;
  /** Bumped on every write; the router answers it so a reload can be confirmed. */
  generation: number;
  /** Seconds a dyno has to start answering a request (Heroku's is 30: H12). */
  timeoutSeconds?: number;
}

function quote(value: string): string {
  if (!/^[\w./:@*-]+$/.test(value)) throw new Error(`unsafe value in nginx config: ${JSON.stringify(value)}`);
  return value;
}

/** App names become upstream names, file names and text in answers: nothing else gets through. */
function appName(app: string): string {
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(app))
    throw new Error(`unsafe app name in nginx config: ${JSON.stringify(app)}`);
  return app;
}

function upstreamName(app: string): string {
  return `app_${appName(app).replace(/-/g, '_')}`;
}

function listen(input: RouterConfigInput, extra = ''): string {
  const address = input.listenHost === '0.0.0.0' ? `${input.port}` : `${quote(input.listenHost)}:${input.port}`;
  return `    listen ${address}${extra};`;
}

function appServer(input: RouterConfigInput, route: RouteTarget): string {
  appName(route.app);
  const names = route.hostnames.map(quote).join(' ');
  const head = [
    `  server {`,
    listen(input),
    `    server_name ${names};`,
    // Buffered: nginx writes a block of lines at a time, not one per request.
    `    access_log ${quote(input.logDir)}/${quote(route.app)}.log plat buffer=64k flush=250ms;`,
  ];
  if (route.maintenance) {
    return [
      ...head,
      `    location / {`,
      `      add_header X-Plat-Error H80 always;`,
      `      return 503 "Application under maintenance (${route.app})\\n";`,
      `    }`,
      `  }`,
    ].join('\n');
  }
  if (route.dynos.length === 0) {
    return [
      ...head,
      `    location / {`,
      `      add_header X-Plat-Error H14 always;`,
      `      return 503 "H14: no web dynos running for ${route.app}; scale with: plat scale web=1 -a ${route.app}\\n";`,
      `    }`,
      `  }`,
    ].join('\n');
  }
  return [
    ...head,
    `    location / {`,
    `      proxy_pass http://${upstreamName(route.app)};`,
    `    }`,
    // Only errors nginx itself makes land here; an app's own 502 passes through.
    `    error_page 504 = @h12;`,
    `    error_page 502 = @h13;`,
    `    location @h12 {`,
    `      add_header X-Plat-Error H12 always;`,
    `      return 503 "H12: request timeout: ${route.app} did not answer within ${input.timeoutSeconds ?? 30} s\\n";`,
    `    }`,
    `    location @h13 {`,
    `      add_header X-Plat-Error H13 always;`,
    `      return 503 "H13: ${route.app} closed the connection without a response\\n";`,
    `    }`,
    `  }`,
  ].join('\n');
}

function upstream(route: RouteTarget): string {
  if (route.maintenance || route.dynos.length === 0) return '';
  const servers = [...route.dynos]
    .sort((a, b) => a.port - b.port)
    .map((dyno) => `    server 127.0.0.1:${dyno.port} max_fails=0;`);
  return [`  upstream ${upstreamName(route.app)} {`, `    least_conn;`, ...servers, `    keepalive 32;`, `  }`].join(
    '\n',
  );
}

/**
 * Names the dyno that answered, for router lines: nginx looks it up only when
 * it writes the line. After a retry $upstream_addr lists every dyno tried;
 * the regexes (tried only when no exact match) pick the last.
 */
function dynoNames(routes: RouteTarget[]): string {
  const byPort = new Map(
    routes
      .filter((route) => !route.maintenance)
      .flatMap((route) => route.dynos.map((dyno) => [dyno.port, dyno] as const)),
  );
  // One name per port: nginx refuses the whole config over a port named twice.
  const dynos = [...byPort.values()].sort((a, b) => a.port - b.port);
  return [
    `  map $upstream_addr $plat_dyno {`,
    `    default "-";`,
    ...dynos.map((dyno) => `    127.0.0.1:${dyno.port} ${quote(dyno.name)};`),
    ...dynos.map((dyno) => `    "~:${dyno.port}$" ${quote(dyno.name)};`),
    `  }`,
  ].join('\n');
}

export function renderNginxConfig(input: RouterConfigInput): string {
  const dir = quote(input.dir);
  const routes = [...input.routes].sort((a, b) => a.app.localeCompare(b.app));
  return [
    `# Written by platd; edits are overwritten.`,
    input.workerUser ? `user ${quote(input.workerUser)};` : '',
    `worker_processes auto;`,
    // Bounds how long a reload waits for old workers (websockets, slow clients).
    `worker_shutdown_timeout 30s;`,
    `pid ${dir}/nginx.pid;`,
    `error_log ${dir}/error.log warn;`,
    `events { worker_connections 4096; }`,
    `http {`,
    `  client_body_temp_path ${dir}/tmp/body;`,
    `  proxy_temp_path ${dir}/tmp/proxy;`,
    `  fastcgi_temp_path ${dir}/tmp/fastcgi;`,
    `  uwsgi_temp_path ${dir}/tmp/uwsgi;`,
    `  scgi_temp_path ${dir}/tmp/scgi;`,
    `  log_format plat '${ROUTER_LOG_FORMAT}';`,
    `  access_log off;`,
    dynoNames(routes),
    `  server_tokens off;`,
    // nginx closes a client's keep-alive connection after this many requests
    // (1000 by default); busy clients then reconnect, and some race the close.
    `  keepalive_requests 10000;`,
    // A bucket holds the longest name DNS allows (253) with nginx's overhead.
    `  server_names_hash_bucket_size 512;`,
    `  client_max_body_size 100m;`,
    `  proxy_http_version 1.1;`,
    `  proxy_connect_timeout 5s;`,
    `  proxy_read_timeout ${input.timeoutSeconds ?? 30}s;`,
    // A dyno that refuses a connection (stopping, crashed) is skipped; a slow one is not retried.
    `  proxy_next_upstream error http_502;`,
    `  map $http_upgrade $connection_upgrade { default upgrade; '' ''; }`,
    `  proxy_set_header Host $host;`,
    `  proxy_set_header Upgrade $http_upgrade;`,
    `  proxy_set_header Connection $connection_upgrade;`,
    `  proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;`,
    `  proxy_set_header X-Forwarded-Proto $scheme;`,
    `  proxy_set_header X-Forwarded-Port $server_port;`,
    // Heroku's rule: a client's own id (20 to 200 of letters, digits, + = / -)
    // passes through so one request can be followed across services; any other
    // gets a fresh one. nginx makes $request_id only when it is asked for.
    `  map $http_x_request_id $plat_request_id { "~^[A-Za-z0-9+=/-]{20,200}$" $http_x_request_id; ` +
      `default $request_id; }`,
    `  proxy_set_header X-Request-Id $plat_request_id;`,
    // The router's error codes are its own: an app cannot put one in its router lines.
    `  proxy_hide_header X-Plat-Error;`,
    `  server {`,
    listen(input, ' default_server'),
    `    server_name _;`,
    `    location = /.plat/router-generation { return 200 "${input.generation}"; }`,
    `    location / { return 404 "No such app: $host\\n"; }`,
    `  }`,
    ...routes.map(upstream).filter(Boolean),
    ...routes.map((route) => appServer(input, route)),
    `}`,
    '',
  ]
    .filter((line) => line !== '')
    .join('\n');
}
