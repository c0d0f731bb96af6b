import { existsSync, readFileSync } from 'node:fs';
import { get } from 'node:https';
import { HOST_CA_BUNDLE } from '../stack-image.js';
import { NODE_PACKAGE, usableNodeVersions, type NodeReleases } from './node-version.js';

const REGISTRY = 'https://registry.npmjs.org';
/** The packument is about 0.4 MB today; anything far larger is not one. */
const MAX_BYTES = 16 * 1024 ** 2;

/**
 * Lists the Node.js releases on the npm registry, trusting the host's CA
 * bundle as the builds do (TLS-intercepting proxies). Never throws: a
 * registry that cannot be reached is a reason, and the build goes on with
 * the stack's Node.js.
 */
export function fetchNodeReleases(options: { timeoutMs?: number } = {}): Promise<NodeReleases> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  return new Promise((resolve) => {
    const request = get(
      `${REGISTRY}/${NODE_PACKAGE}`,
      {
        // The abbreviated document: versions with their bin and install-script flag, no readmes.
        headers: { accept: 'application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8' },
        ...(existsSync(HOST_CA_BUNDLE) ? { ca: readFileSync(HOST_CA_BUNDLE) } : {}),
        timeout: timeoutMs,
      },
      (response) => {
        if (response.statusCode !== 200) {
          response.resume();
          resolve({ error: `${REGISTRY} answered ${response.statusCode}` });
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_BYTES) request.destroy(new Error(`its answer is over ${MAX_BYTES} bytes`));
          else chunks.push(chunk);
        });
        response.on('end', () => {
          try {
            resolve({ versions: usableNodeVersions(JSON.parse(Buffer.concat(chunks).toString('utf8'))) });
          } catch {
            resolve({ error: `${REGISTRY} sent no JSON` });
          }
        });
        response.on('error', (error) => resolve({ error: error.message }));
      },
    );
    request.on('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    request.on('error', (error) => resolve({ error: error.message }));
  });
}

/** How long one answer of the registry stands: pushes in a row resolve the same Node.js without asking again. */
export const RELEASES_FRESH_MS = 10 * 60_000;

/**
 * `fetch`, asked at most once per `freshMs` (the packument is ~0.4 MB and costs
 * each push ~20 ms); callers meanwhile share its answer, an error excepted: an
 * unreachable registry is asked again by the next push.
 */
export function keptFresh(
  fetch: () => Promise<NodeReleases>,
  options: { freshMs?: number; now?: () => number } = {},
): () => Promise<NodeReleases> {
  const freshMs = options.freshMs ?? RELEASES_FRESH_MS;
  const now = options.now ?? Date.now;
  let kept: { at: number; answer: Promise<NodeReleases> } | undefined;
  return () => {
    const at = now();
    if (kept && at - kept.at < freshMs) return kept.answer;
    const asked = { at, answer: fetch() };
    kept = asked;
    const forget = () => {
      if (kept === asked) kept = undefined;
    };
    asked.answer.then((answer) => {
      if ('error' in answer) forget();
    }, forget);
    return asked.answer;
  };
}

/** The registry's Node.js releases as the Node.js buildpack asks for them: kept for RELEASES_FRESH_MS. */
export const nodeReleases = keptFresh(() => fetchNodeReleases());
