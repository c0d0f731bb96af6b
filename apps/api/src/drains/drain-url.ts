import { isIP } from 'node:net';
import { PlatError } from '@plat/core';

/** How a drain's lines travel: RFC 5424 over TCP or TLS (octet-counted), or Heroku's logplex frames over HTTPS. */
export type DrainKind = 'syslog' | 'syslog+tls' | 'https';

export interface DrainTarget {
  kind: DrainKind;
  /** The host as the URL names it: a DNS name (lowercase, IDN in xn-- form) or an IP address, without brackets. */
  host: string;
  port: number;
  /** https: the request's path and query. */
  path: string;
  /** https: Basic credentials from the URL, if it has them. */
  username: string;
  password: string;
  /** The URL as stored and shown: normalised by the WHATWG parser. */
  url: string;
}

export const MAX_DRAIN_URL_LENGTH = 2048;

/** Labels of letters, digits, hyphens (and underscores, which some services' names carry). */
const HOSTNAME = /^(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?\.)*[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$/;

const DEFAULT_PORTS: Record<DrainKind, number> = { syslog: 514, 'syslog+tls': 6514, https: 443 };

function refuse(message: string): never {
  throw new PlatError('invalid_params', message);
}

/**
 * Parses and checks a drain URL as `plat drains:add` gives it. Only three
 * schemes: plain http:// would carry the app's logs (and any credentials in
 * the URL) in the clear, and anything else is not a drain Plat can deliver to.
 */
export function parseDrainUrl(raw: string): DrainTarget {
  const text = raw.trim();
  if (text.length === 0) refuse('Give a drain URL: syslog+tls://host:port, syslog://host:port or https://host/path');
  if (text.length > MAX_DRAIN_URL_LENGTH) refuse(`A drain URL may be at most ${MAX_DRAIN_URL_LENGTH} characters.`);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (/[\s\x00-\x1f\x7f]/.test(text)) refuse('A drain URL may not contain spaces or control characters.');
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    refuse(`Not a URL: ${JSON.stringify(text.slice(0, 100))}`);
  }
  const scheme = url.protocol.slice(0, -1);
  if (scheme === 'http')
    refuse('Plain http:// drains would send logs and credentials in the clear: use https:// or syslog+tls://.');
  if (scheme !== 'syslog' && scheme !== 'syslog+tls' && scheme !== 'https')
    refuse(`Drains are syslog+tls://, syslog:// or https:// URLs, not ${scheme}://.`);
  const kind: DrainKind = scheme;
  let hostText: string;
  let portText: string | undefined;
  if (kind === 'https') {
    if (url.hash) refuse('A drain URL has no #fragment.');
    hostText = url.hostname;
    portText = url.port || undefined;
  } else {
    // The WHATWG parser keeps a syslog URL's authority opaque: read host and port from the text.
    const authority = /^([^:/?#@[\]]+|\[[0-9a-fA-F:.]+\])(?::(\d{1,5}))?\/?$/.exec(text.slice(scheme.length + 3));
    if (!authority) refuse(`syslog drain URLs are ${scheme}://host:port, with no credentials, path or query.`);
    hostText = authority[1]!;
    portText = authority[2];
    try {
      // Lowercases, and turns an internationalised name into its xn-- form.
      hostText = new URL(`https://${hostText}`).hostname;
    } catch {
      refuse(`Not a host name: ${JSON.stringify(hostText)}`);
    }
  }
  const host = hostText.replace(/^\[(.*)\]$/, '$1');
  if (!isIP(host) && !HOSTNAME.test(host)) refuse(`Not a host name: ${JSON.stringify(host)}`);
  const port = portText ? Number(portText) : DEFAULT_PORTS[kind];
  if (!Number.isInteger(port) || port < 1 || port > 65535) refuse(`Not a TCP port: ${portText}`);
  const normalised = kind === 'https' ? url.href : `${scheme}://${hostText}${portText ? `:${port}` : ''}`;
  return {
    kind,
    host,
    port,
    path: kind === 'https' ? `${url.pathname}${url.search}` : '',
    username: kind === 'https' ? decodeURIComponent(url.username) : '',
    password: kind === 'https' ? decodeURIComponent(url.password) : '',
    url: normalised,
  };
}

/** The URL for logs and audit events: a password in it is not repeated there. */
export function redactedDrainUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (!parsed.password) return url;
    parsed.password = '***';
    return parsed.href;
  } catch {
    return url;
  }
}
