/**
 * A small client of the registry's HTTP API v2: what pruning needs (tags of a
 * repository, a tag's manifest digest, deleting a manifest). node:http(s)
 * rather than fetch, because over TLS it must show Plat's client certificate
 * and trust Plat's CA, which fetch cannot be told without undici's internals.
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** Every manifest type a push may have stored: Docker's schema 2 and OCI, single images and lists. */
export const MANIFEST_TYPES = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
].join(', ');

const TIMEOUT_MS = 15_000;
const MAX_BODY = 4 * 1024 * 1024;

export interface RegistryEndpoint {
  /** `host:port`. */
  host: string;
  /** PEM: with TLS, the CA to trust and the client certificate and key to show. */
  tls?: { ca: string; certificate: string; key: string };
}

export interface RegistryResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export function registryRequest(
  endpoint: RegistryEndpoint,
  method: 'GET' | 'HEAD' | 'DELETE',
  path: string,
  headers: Record<string, string> = {},
): Promise<RegistryResponse> {
  const url = new URL(path, `${endpoint.tls ? 'https' : 'http'}://${endpoint.host}`);
  return new Promise((resolve, reject) => {
    const options = {
      method,
      headers,
      timeout: TIMEOUT_MS,
      ...(endpoint.tls ? { ca: endpoint.tls.ca, cert: endpoint.tls.certificate, key: endpoint.tls.key } : {}),
    };
    const done = (response: import('node:http').IncomingMessage) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        if (body.length < MAX_BODY) body += chunk;
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
      response.on('error', reject);
    };
    const req = endpoint.tls ? httpsRequest(url, options, done) : httpRequest(url, options, done);
    req.on('timeout', () => req.destroy(new Error(`the registry did not answer ${method} ${path} within 15 s`)));
    req.on('error', reject);
    req.end();
  });
}

/** The registry's own words for a failed call (`{"errors":[{"code","message"}]}`), or the status. */
export function registryError(response: RegistryResponse, what: string): Error {
  let detail = `HTTP ${response.status}`;
  try {
    const parsed = JSON.parse(response.body) as { errors?: { code?: string; message?: string }[] };
    const first = parsed.errors?.[0];
    if (first) detail += ` ${first.code ?? ''}: ${first.message ?? ''}`.trimEnd();
  } catch {
    // Not JSON: the status says enough.
  }
  return new Error(`the registry refused to ${what} (${detail})`);
}

/** The next page of a paginated list, from `Link: </v2/...?n=..&last=..>; rel="next"`. */
export function nextPage(headers: IncomingHttpHeaders): string | undefined {
  const link = headers.link;
  const match = typeof link === 'string' ? /<([^>]+)>;\s*rel="?next"?/.exec(link) : null;
  return match?.[1];
}

/** Tags of one repository, every page; a repository the registry does not know has none. */
export async function listRegistryTags(endpoint: RegistryEndpoint, repository: string): Promise<string[]> {
  const tags: string[] = [];
  let path: string | undefined = `/v2/${repository}/tags/list?n=1000`;
  while (path) {
    const response = await registryRequest(endpoint, 'GET', path);
    if (response.status === 404) return tags;
    if (response.status !== 200) throw registryError(response, `list the tags of ${repository}`);
    tags.push(...((JSON.parse(response.body) as { tags?: string[] | null }).tags ?? []));
    path = nextPage(response.headers);
  }
  return tags.sort();
}

/** Repositories in the registry, every page. */
export async function listRegistryRepositories(endpoint: RegistryEndpoint): Promise<string[]> {
  const names: string[] = [];
  let path: string | undefined = '/v2/_catalog?n=1000';
  while (path) {
    const response = await registryRequest(endpoint, 'GET', path);
    if (response.status !== 200) throw registryError(response, 'list its repositories');
    names.push(...((JSON.parse(response.body) as { repositories?: string[] | null }).repositories ?? []));
    path = nextPage(response.headers);
  }
  return names.sort();
}

/** The digest a tag names (HEAD of its manifest), or undefined when there is no such tag. */
export async function manifestDigest(
  endpoint: RegistryEndpoint,
  repository: string,
  reference: string,
): Promise<string | undefined> {
  const response = await registryRequest(endpoint, 'HEAD', `/v2/${repository}/manifests/${reference}`, {
    Accept: MANIFEST_TYPES,
  });
  if (response.status === 404) return undefined;
  const digest = response.headers['docker-content-digest'];
  if (response.status !== 200 || typeof digest !== 'string')
    throw registryError(response, `show the manifest of ${repository}:${reference}`);
  return digest;
}

/** Deletes a manifest by digest; false when it was already gone. */
export async function deleteManifest(endpoint: RegistryEndpoint, repository: string, digest: string): Promise<boolean> {
  if (!/^sha256:[0-9a-f]{64}$/.test(digest)) throw new Error(`not a sha256 digest: ${JSON.stringify(digest)}`);
  const response = await registryRequest(endpoint, 'DELETE', `/v2/${repository}/manifests/${digest}`);
  if (response.status === 404) return false;
  if (response.status !== 202) throw registryError(response, `delete ${repository}@${digest}`);
  return true;
}
