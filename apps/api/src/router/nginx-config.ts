/**
 * Renders the router's whole nginx configuration from data: pure, so every
 * routing rule is tested without nginx. The process side writes it
 * atomically, checks it with `nginx -t` and reloads.
 */
import { createHash } from 'node:crypto';
import { ROUTER_LOG_FORMAT } from '../logs/router-line.js';
import type { RouteCertificate, RoutedDyno, RouteTarget } from './router.js';

export type { RouteCertificate, RouteTarget };

export interface TlsInput {
  /** PLAT_ROUTER_TLS_PORT. */
  port: number;
  /** Where the router keeps certificate files (see certificateStem). */
  certDir: string;
  /** Where ACME HTTP-01 answers are, as `<root>/.well-known/acme-challenge/<token>` (router/challenge-files.ts). */
  challengeRoot?: string;
}

/**
 * PLAT_API_DOMAIN: the router serves platd's API and git smart HTTP on this
 * hostname, proxied to platd's own listener, over HTTPS once it has a
 * certificate (then plain HTTP gets 308, but ACME challenges).
 */
export interface ApiServerInput {
  hostname: string;
  /** platd's API listener, as the router reaches it (an IPv6 address without brackets). */
  upstream: { host: string; port: number };
  /** PLAT_MAX_PUSH_MB: platd refuses a larger push itself; nginx lets that much (and some) through. */
  maxPushBytes: number;
  /** How long a push may wait for platd's answer: its build runs meanwhile (PLAT_BUILD_TIMEOUT_SECONDS). */
  pushTimeoutSeconds: number;
  certificate?: RouteCertificate;
}

/**
 * platd's wake listener (router/wake-listener.ts): the router hands it the
 * requests of sleeping eco apps, marked with the app (from the route, never
 * from the client) and a secret only nginx's config and platd know.
 */
export interface WakeInput {
  /** Its unix socket. */
  socket: string;
  secret: string;
  /** How long a held request may wait for its answer: the boot timeout, then the dyno's own timeout. */
  holdSeconds: number;
}

/** The router's bound on a request body to an app; the wake listener keeps to it too. */
export const APP_MAX_BODY_MB = 100;

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
  /** HTTPS beside HTTP; without it the router serves HTTP only. */
  tls?: TlsInput;
  /** The API's own server, when PLAT_API_DOMAIN is set. */
  api?: ApiServerInput;
  /** Where sleeping apps' requests go; without it a sleeping app answers as one with no web dynos (H14). */
  wake?: WakeInput;
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

function listen(input: RouterConfigInput, extra = '', port = input.port): string {
  const address = input.listenHost === '0.0.0.0' ? `${port}` : `${quote(input.listenHost)}:${port}`;
  return `    listen ${address}${extra};`;
}

/**
 * The certificate's files in the router's folder, named by a hash of their
 * contents: a changed certificate is a new file, so a reload never reads a
 * half-replaced one, and nothing from the request or the app names them.
 */
export function certificateStem(certificate: RouteCertificate): string {
  return createHash('sha256').update(certificate.chainPem).update('\0').update(certificate.keyPem).digest('hex');
}

/** How the router answers for the app itself: what goes in a location, and what beside it in the server. */
interface AppAnswer {
  inside: string[];
  beside: string[];
}

function appAnswer(input: RouterConfigInput, route: RouteTarget): AppAnswer {
  if (route.maintenance) {
    return {
      inside: [
        `      add_header X-Plat-Error H80 always;`,
        `      return 503 "Application under maintenance (${route.app})\\n";`,
      ],
      beside: [],
    };
  }
  if (route.asleep && input.wake) return wakeAnswer(input.wake, route);
  if (route.dynos.length === 0) {
    return {
      inside: [
        `      add_header X-Plat-Error H14 always;`,
        `      return 503 "H14: no web dynos running for ${route.app}; ` +
          `scale with: plat scale web=1 -a ${route.app}\\n";`,
      ],
      beside: [],
    };
  }
  return {
    inside: [`      proxy_pass http://${upstreamName(route.app)};`],
    beside: [
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
    ],
  };
}

/**
 * A sleeping app's answer: the request goes to platd's wake listener, which
 * starts the dyno and answers once it is ready, so nginx waits as long as a
 * boot may take. proxy_set_header and proxy_hide_header here replace the
 * http block's, so the request headers are all listed again, and the wake
 * listener's own X-Plat-Error (H10, R10) reaches the client and the log line.
 */
/**
 * The headers every proxied request carries. A block that sets any header
 * replaces all of the enclosing block's, so each such block lists them all.
 */
function proxyHeaders(indent: string, forwardedFor: string): string[] {
  return [
    'Host $host',
    'Upgrade $http_upgrade',
    'Connection $connection_upgrade',
    `X-Forwarded-For ${forwardedFor}`,
    'X-Forwarded-Proto $scheme',
    'X-Forwarded-Port $server_port',
    'X-Request-Id $plat_request_id',
  ].map((header) => `${indent}proxy_set_header ${header};`);
}

function wakeAnswer(wake: WakeInput, route: RouteTarget): AppAnswer {
  return {
    inside: [
      `      proxy_pass http://unix:${quote(wake.socket)}:;`,
      ...proxyHeaders('      ', '$proxy_add_x_forwarded_for'),
      `      proxy_set_header X-Plat-App ${appName(route.app)};`,
      `      proxy_set_header X-Plat-Wake-Secret ${quote(wake.secret)};`,
      `      proxy_read_timeout ${wake.holdSeconds}s;`,
      `      proxy_send_timeout ${wake.holdSeconds}s;`,
      // Read by the log line ($plat_wake, $plat_dyno), not shown to the client.
      `      proxy_hide_header X-Plat-Wake;`,
      `      proxy_hide_header X-Plat-Dyno;`,
    ],
    beside: [
      // platd is down (restarting): nothing can wake the app now.
      `    error_page 502 504 = @h99;`,
      `    location @h99 {`,
      `      add_header X-Plat-Error H99 always;`,
      `      return 503 "H99: ${route.app} is asleep and platd, which wakes it, did not answer; ` +
        `try again shortly\n";`,
      `    }`,
    ],
  };
}

function server(head: string[], input: RouterConfigInput, route: RouteTarget, locations: string[]): string {
  return [
    `  server {`,
    ...head,
    // Buffered: nginx writes a block of lines at a time, not one per request.
    `    access_log ${quote(input.logDir)}/${quote(route.app)}.log plat buffer=64k flush=250ms;`,
    ...locations,
    `  }`,
  ].join('\n');
}

/** Answers `/.well-known/acme-challenge/<token>` from the challenge files, else from `fallback`. */
function challengeLocation(root: string, fallback: string): string[] {
  return [
    `    location ^~ /.well-known/acme-challenge/ {`,
    `      root ${quote(root)};`,
    `      default_type text/plain;`,
    `      try_files $uri ${fallback};`,
    `    }`,
  ];
}

/** Where plain HTTP to a hostname with a certificate goes: the same URL over HTTPS. */
function httpsUrl(tls: TlsInput): string {
  return `https://$host${tls.port === 443 ? '' : `:${tls.port}`}$request_uri`;
}

/**
 * The app's servers: on HTTP, its hostnames without a certificate as they
 * always were, those with one redirected to HTTPS (but ACME challenges,
 * which a CA fetches over plain HTTP); on TLS, one server per certificate
 * for the hostnames it serves.
 */
function appServers(input: RouterConfigInput, route: RouteTarget): string[] {
  appName(route.app);
  const answer = appAnswer(input, route);
  const app = [`    location / {`, ...answer.inside, `    }`, ...answer.beside];
  const { tls } = input;
  // On HTTP a CA's challenge is answered from the challenge files, or else by the app (it may do ACME itself).
  const challenges = tls?.challengeRoot
    ? [...challengeLocation(tls.challengeRoot, '@app'), `    location @app {`, ...answer.inside, `    }`]
    : [`    location ^~ /.well-known/acme-challenge/ {`, ...answer.inside, `    }`];
  // Screening may have left a hostname out of the route: serve only those still in it.
  const certificates = tls
    ? (route.certificates ?? [])
        .map((cert) => ({ ...cert, hostnames: cert.hostnames.filter((name) => route.hostnames.includes(name)) }))
        .filter((cert) => cert.hostnames.length > 0)
    : [];
  const secured = new Set(certificates.flatMap((cert) => cert.hostnames));
  const plain = route.hostnames.filter((name) => !secured.has(name));
  const servers: string[] = [];
  if (plain.length > 0) {
    const locations = tls?.challengeRoot ? [...app, ...challenges] : app;
    servers.push(server([listen(input), `    server_name ${plain.map(quote).join(' ')};`], input, route, locations));
  }
  if (tls && secured.size > 0) {
    const redirect = [`    location / { return 308 ${httpsUrl(tls)}; }`, ...challenges, ...answer.beside];
    const names = route.hostnames.filter((name) => secured.has(name));
    servers.push(server([listen(input), `    server_name ${names.map(quote).join(' ')};`], input, route, redirect));
    for (const cert of certificates) {
      const stem = certificateStem(cert);
      const head = [
        listen(input, ' ssl http2', tls.port),
        `    server_name ${cert.hostnames.map(quote).join(' ')};`,
        `    ssl_certificate ${quote(tls.certDir)}/${stem}.pem;`,
        `    ssl_certificate_key ${quote(tls.certDir)}/${stem}.key;`,
      ];
      servers.push(server(head, input, route, app));
    }
  }
  return servers;
}

/** Room for the pkt-lines around a pack: platd's own bound (receive.maxInputSize) refuses first, with a message. */
const PUSH_OVERHEAD_BYTES = 1024 * 1024;
/** `plat logs --tail` and `plat run` stay open while idle; an hour bounds a forgotten one. */
const API_STREAM_TIMEOUT_SECONDS = 3600;

/** How the API's server proxies to platd: streamed both ways, with the client's address. */
function apiLocations(api: ApiServerInput): string[] {
  const host = quote(api.upstream.host);
  const upstream = `http://${host.includes(':') ? `[${host}]` : host}:${api.upstream.port}`;
  return [
    // Set here, proxy_set_header replaces every header set in http {}: all are listed again.
    // The peer's address alone, not a list a client could start: platd counts failed sign-ins by it.
    ...proxyHeaders('    ', '$remote_addr'),
    // Build output, log tails and plat run stream as platd writes them.
    `    proxy_buffering off;`,
    `    location / {`,
    `      proxy_pass ${upstream};`,
    `      proxy_read_timeout ${API_STREAM_TIMEOUT_SECONDS}s;`,
    `      proxy_send_timeout ${API_STREAM_TIMEOUT_SECONDS}s;`,
    `    }`,
    // git smart HTTP: a push streams to platd as it comes, bounded by PLAT_MAX_PUSH_MB.
    `    location ^~ /git/ {`,
    `      proxy_pass ${upstream};`,
    `      proxy_request_buffering off;`,
    `      client_max_body_size ${api.maxPushBytes + PUSH_OVERHEAD_BYTES};`,
    `      proxy_read_timeout ${api.pushTimeoutSeconds}s;`,
    `      proxy_send_timeout ${api.pushTimeoutSeconds}s;`,
    `    }`,
  ];
}

/**
 * The API domain's servers: on HTTP the API itself, or once a certificate
 * serves it a 308 to HTTPS; on TLS the API with that certificate. ACME
 * challenges are answered on HTTP either way, as for app hosts.
 */
function apiServers(input: RouterConfigInput, api: ApiServerInput): string[] {
  const name = `    server_name ${quote(api.hostname)};`;
  const { tls } = input;
  const challenges = tls?.challengeRoot ? challengeLocation(tls.challengeRoot, '=404') : [];
  const secured = tls && api.certificate;
  const servers = [
    [
      `  server {`,
      listen(input),
      name,
      ...challenges,
      ...(secured ? [`    location / { return 308 ${httpsUrl(tls)}; }`] : apiLocations(api)),
      `  }`,
    ],
  ];
  if (secured) {
    const stem = certificateStem(api.certificate!);
    servers.push([
      `  server {`,
      listen(input, ' ssl http2', tls.port),
      name,
      `    ssl_certificate ${quote(tls.certDir)}/${stem}.pem;`,
      `    ssl_certificate_key ${quote(tls.certDir)}/${stem}.key;`,
      ...apiLocations(api),
      `  }`,
    ]);
  }
  return servers.map((lines) => lines.join('\n'));
}

/** The API domain is platd's: no app route may serve it, whatever the stored domains say. */
function withoutApiDomain(routes: RouteTarget[], api: ApiServerInput | undefined): RouteTarget[] {
  if (!api) return routes;
  return routes.map((route) => ({ ...route, hostnames: route.hostnames.filter((name) => name !== api.hostname) }));
}

/**
 * How nginx names a dyno in an upstream: `HOST:PORT`, the host its address
 * on its app's network, a swarm node's, or 127.0.0.1 when none is given.
 */
export function dynoAddress(dyno: Pick<RoutedDyno, 'port' | 'host'>): string {
  const host = dyno.host ?? '127.0.0.1';
  return `${host.includes(':') ? `[${host}]` : host}:${dyno.port}`;
}

/** One order for the same dynos, however they were listed: the same config, no reload. */
function byAddress(a: RoutedDyno, b: RoutedDyno): number {
  return a.port - b.port || dynoAddress(a).localeCompare(dynoAddress(b));
}

function upstream(route: RouteTarget): string {
  if (route.maintenance || route.dynos.length === 0) return '';
  const servers = [...route.dynos].sort(byAddress).map((dyno) => `    server ${dynoAddress(dyno)} max_fails=0;`);
  return [`  upstream ${upstreamName(route.app)} {`, `    least_conn;`, ...servers, `    keepalive 32;`, `  }`].join(
    '\n',
  );
}

/**
 * Names the dyno that answered, for router lines: nginx looks it up only when
 * it writes the line. After a retry $upstream_addr lists every dyno tried;
 * the regexes (tried only when no exact match) pick the last.
 */
function dynoNames(routes: RouteTarget[], wake: WakeInput | undefined): string {
  const named = new Map(
    routes
      .filter((route) => !route.maintenance)
      .flatMap((route) => route.dynos.map((dyno) => [dynoAddress(dyno), dyno] as const)),
  );
  // One name per address: nginx refuses the whole config over an address named twice.
  const dynos = [...named.values()].sort(byAddress);
  const local = dynos.filter((dyno) => !dyno.host);
  return [
    `  map $upstream_addr $plat_dyno {`,
    `    default "-";`,
    // A woken request: the wake listener names the dyno that answered.
    ...(wake ? [`    "~^unix:" $upstream_http_x_plat_dyno;`] : []),
    ...dynos.map((dyno) => `    ${dynoAddress(dyno)} ${quote(dyno.name)};`),
    ...local.map((dyno) => `    "~:${dyno.port}$" ${quote(dyno.name)};`),
    ...dynos
      .filter((dyno) => dyno.host)
      .map((dyno) => `    "~${dynoAddress(dyno).replace(/[.[\]]/g, '\\$&')}$" ${quote(dyno.name)};`),
    `  }`,
  ].join('\n');
}

/**
 * A woken request's wake time (seconds), for router lines: only the wake
 * listener's answer counts (a unix socket; dynos are TCP addresses), so
 * an app cannot write one into its own lines.
 */
function wakeTimes(): string {
  return [
    `  map "$upstream_addr $upstream_http_x_plat_wake" $plat_wake {`,
    `    default "-";`,
    `    "~^unix:[^ ]+ (?<plat_wake_seconds>[0-9]{1,4}[.][0-9])$" $plat_wake_seconds;`,
    `  }`,
  ].join('\n');
}

/** Mozilla's "intermediate" profile: TLS 1.2 and 1.3, forward-secret AEAD suites, the client's choice among them. */
const INTERMEDIATE_CIPHERS = [
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');

/**
 * TLS settings for every server, and the TLS port's default server: a
 * hostname with no certificate here (or no SNI at all) has its handshake
 * refused, as a TLS alert, rather than being shown some other site's
 * certificate.
 */
function tlsDefaults(input: RouterConfigInput, tls: TlsInput): string[] {
  return [
    `  ssl_protocols TLSv1.2 TLSv1.3;`,
    `  ssl_ciphers ${INTERMEDIATE_CIPHERS};`,
    `  ssl_prefer_server_ciphers off;`,
    `  ssl_session_cache shared:plat_tls:10m;`,
    `  ssl_session_timeout 1d;`,
    `  ssl_session_tickets off;`,
    `  server {`,
    listen(input, ' ssl http2 default_server', tls.port),
    `    server_name _;`,
    `    ssl_reject_handshake on;`,
    `  }`,
  ];
}

export function renderNginxConfig(input: RouterConfigInput): string {
  const dir = quote(input.dir);
  const routes = [...withoutApiDomain(input.routes, input.api)].sort((a, b) => a.app.localeCompare(b.app));
  return [
    `# Written by platd; edits are overwritten.`,
    input.workerUser ? `user ${quote(input.workerUser)};` : '',
    `worker_processes auto;`,
    // Bounds how long old workers keep connections after a reload. App requests
    // are bounded by proxy_read_timeout anyway (their dynos retire after 31 s);
    // a push through the API domain must outlive any other app's deploy.
    `worker_shutdown_timeout ${Math.max(30, input.api?.pushTimeoutSeconds ?? 0)}s;`,
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
    dynoNames(routes, input.wake),
    wakeTimes(),
    `  server_tokens off;`,
    // nginx closes a client's keep-alive connection after this many requests
    // (1000 by default); busy clients then reconnect, and some race the close.
    `  keepalive_requests 10000;`,
    // A bucket holds the longest name DNS allows (253) with nginx's overhead.
    `  server_names_hash_bucket_size 512;`,
    `  client_max_body_size ${APP_MAX_BODY_MB}m;`,
    `  proxy_http_version 1.1;`,
    // A dyno on this host takes a connection at once; one that does not is gone.
    `  proxy_connect_timeout 2s;`,
    `  proxy_read_timeout ${input.timeoutSeconds ?? 30}s;`,
    // A dyno that refuses a connection or lets it time out is skipped: a crashed dyno's address goes
    // unanswered (no refusal) until its route is gone. A slow answer is never retried: it times out
    // at the read timeout, when the time for trying another dyno is up.
    `  proxy_next_upstream error timeout http_502;`,
    `  proxy_next_upstream_timeout ${input.timeoutSeconds ?? 30}s;`,
    `  map $http_upgrade $connection_upgrade { default upgrade; '' ''; }`,
    // Heroku's rule: a client's own id (20 to 200 of letters, digits, + = / -)
    // passes through so one request can be followed across services; any other
    // gets a fresh one. nginx makes $request_id only when it is asked for.
    `  map $http_x_request_id $plat_request_id { "~^[A-Za-z0-9+=/-]{20,200}$" $http_x_request_id; ` +
      `default $request_id; }`,
    ...proxyHeaders('  ', '$proxy_add_x_forwarded_for'),
    // The router's error codes are its own: an app cannot put one in its router lines.
    `  proxy_hide_header X-Plat-Error;`,
    `  server {`,
    listen(input, ' default_server'),
    `    server_name _;`,
    `    location = /.plat/router-generation { return 200 "${input.generation}"; }`,
    ...(input.tls?.challengeRoot ? challengeLocation(input.tls.challengeRoot, '=404') : []),
    `    location / { return 404 "No such app: $host\\n"; }`,
    `  }`,
    ...(input.tls ? tlsDefaults(input, input.tls) : []),
    ...routes.map(upstream).filter(Boolean),
    ...(input.api ? apiServers(input, input.api) : []),
    ...routes.flatMap((route) => appServers(input, route)),
    `}`,
    '',
  ]
    .filter((line) => line !== '')
    .join('\n');
}
