import type { Source } from '../source.js';
import type { Buildpack } from './buildpack.js';

interface StaticJson {
  root?: string;
}

function rootOf(source: Source): string {
  try {
    const root = (JSON.parse(source.read('static.json') ?? '{}') as StaticJson).root ?? '';
    const clean = root.replace(/^\.?\/+/, '').replace(/\/+$/, '');
    // The root stays inside the app: no absolute paths, no climbing out.
    if (clean.split('/').includes('..') || !/^[\w./-]*$/.test(clean)) return '';
    return clean;
  } catch {
    return '';
  }
}

/** nginx, as the dyno user, on $PORT; written at start because nginx reads no environment. */
const SERVER_SCRIPT = `#!/bin/sh
set -eu
conf=/tmp/plat-static-nginx.conf
sed "s/__PORT__/\${PORT:-5000}/" /etc/plat/static-nginx.conf.template > "$conf"
exec nginx -e stderr -c "$conf" -g 'daemon off;'
`;

function serverConfig(root: string): string {
  return `worker_processes auto;
pid /tmp/plat-static-nginx.pid;
error_log stderr warn;
events { worker_connections 1024; }
http {
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  access_log off;
  server_tokens off;
  sendfile on;
  gzip on;
  gzip_types text/css application/javascript application/json image/svg+xml text/plain;
  client_body_temp_path /tmp/plat-static-body;
  proxy_temp_path /tmp/plat-static-proxy;
  fastcgi_temp_path /tmp/plat-static-fastcgi;
  uwsgi_temp_path /tmp/plat-static-uwsgi;
  scgi_temp_path /tmp/plat-static-scgi;
  server {
    listen __PORT__;
    root /app/${root};
    index index.html;
    # Pages revalidate on every visit; assets are cached for a day.
    location / {
      try_files $uri $uri/ $uri.html =404;
      add_header Cache-Control "no-cache";
    }
    location ~* \\.(css|js|mjs|png|jpe?g|gif|svg|ico|webp|woff2?|ttf|map)$ {
      add_header Cache-Control "public, max-age=86400";
    }
  }
}
`;
}

export const staticSite: Buildpack = {
  name: 'static',
  label: 'Static site',
  detect: (source) => source.has('static.json') || source.has('index.html'),
  plan(source, context) {
    const root = rootOf(source);
    return {
      dockerfile: [
        `FROM ${context.stackImage}`,
        'WORKDIR /app',
        `COPY ${context.buildDir}/static-nginx.conf.template /etc/plat/static-nginx.conf.template`,
        `COPY ${context.buildDir}/plat-static-server /usr/local/bin/plat-static-server`,
        // Before the code, so that it is cached: after it, it would cost a commit on every push.
        'USER dyno',
        'COPY --chown=dyno:dyno . /app',
        '',
      ].join('\n'),
      processTypes: { web: 'plat-static-server' },
      files: { 'static-nginx.conf.template': serverConfig(root), 'plat-static-server': SERVER_SCRIPT },
      notes: [`Serving /${root} with nginx`],
      generated: true,
    };
  },
};
