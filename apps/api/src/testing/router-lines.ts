import { ROUTER_LOG_FORMAT } from '../logs/router-line.js';

/** A router access line for `path`, as nginx writes it (logs/router-line.ts): one GET answered by web.1. */
export function routerLine(path: string): string {
  const values: Record<string, string> = {
    $msec: (Date.now() / 1000).toFixed(3),
    $sent_http_x_plat_error: '-',
    $request_method: 'GET',
    $request_uri: path,
    $host: 'x.localhost',
    $plat_request_id: 'req',
    $remote_addr: '127.0.0.1',
    $plat_dyno: 'web.1',
    $upstream_connect_time: '0.001',
    $upstream_response_time: '0.002',
    $status: '200',
    $bytes_sent: '10',
  };
  return `${ROUTER_LOG_FORMAT.split('\\t')
    .map((variable) => values[variable])
    .join('\t')}\n`;
}
