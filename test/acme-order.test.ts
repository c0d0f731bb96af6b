/**
 * acme-order against a real ACME CA on loopback: Debian's pebble validates
 * HTTP-01 by fetching each token from a challenge server this test runs,
 * with names resolved by pebble-challtestsrv to 127.0.0.1.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkCertificate } from '../apps/api/src/certs/certificate.js';
import { makeCertificate } from '../apps/api/src/testing/certificates.js';
import {
  AcmeOrderFailed,
  createAccountKey,
  orderCertificate,
  type ChallengeStore,
} from '../apps/api/src/certs/acme-order.js';
import { startPebble, type Pebble } from './support/pebble.js';
import { freePort } from './support/ports.js';

const PREFIX = '/.well-known/acme-challenge/';
const poll = { minMs: 100, maxMs: 1_000, attempts: 40 };

/** What the router will do: answer challenge tokens from a store, and note who asked for what. */
function challengeServer(tokens: Map<string, string>, requests: string[]): Server {
  return createServer((request, response) => {
    const url = request.url ?? '';
    requests.push(`${request.headers.host ?? ''}${url}`);
    const answer = url.startsWith(PREFIX) ? tokens.get(url.slice(PREFIX.length)) : undefined;
    response.writeHead(answer ? 200 : 404, { 'content-type': 'text/plain' });
    response.end(answer ?? 'no such token');
  });
}

describe('acme-order against pebble', () => {
  let pebble: Pebble | undefined;
  let server: Server | undefined;
  let httpPort = 0;
  const tokens = new Map<string, string>();
  const requests: string[] = [];
  const store: ChallengeStore = {
    set: (token, keyAuthorization) => void tokens.set(token, keyAuthorization),
    remove: (token) => void tokens.delete(token),
  };

  beforeAll(async () => {
    httpPort = await freePort();
    server = challengeServer(tokens, requests);
    await new Promise<void>((resolve, reject) => {
      server!.once('error', reject);
      server!.listen(httpPort, '127.0.0.1', resolve);
    });
    pebble = await startPebble({ httpPort });
  });

  afterAll(async () => {
    await pebble?.stop();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  });

  it("issues a certificate for two hostnames that checks out against pebble's root", async () => {
    const hostnames = ['app1.plat.test', 'www.app1.plat.test'];
    const issued = await orderCertificate({
      directoryUrl: pebble!.directoryUrl,
      caFile: pebble!.caFile,
      accountKeyPem: createAccountKey(),
      email: 'ops@plat.test',
      hostnames,
      challenges: store,
      poll,
    }).catch((error: Error) => {
      throw new Error(`${error.message}\n--- pebble output ---\n${pebble!.output()}`);
    });

    // pebble fetched each token from the challenge server, by the hostname it validated.
    for (const hostname of hostnames) {
      expect(requests.some((r) => r.startsWith(`${hostname}:${httpPort}${PREFIX}`))).toBe(true);
    }
    expect(tokens.size).toBe(0);

    const summary = checkCertificate({
      chainPem: issued.chainPem,
      keyPem: issued.keyPem,
      hostnames,
      trustedRootsPem: await pebble!.issuingRoot(),
    });
    expect(summary.hostnames.sort()).toEqual([...hostnames].sort());
    expect(summary.chainLength).toBeGreaterThanOrEqual(2);
    expect(summary.issuer).toMatch(/Pebble Intermediate CA/);
    expect(summary.notAfter.getTime()).toBeGreaterThan(Date.now());
    expect(issued.summary.fingerprint).toBe(summary.fingerprint);
    // The chain is not trusted under any other root: the check is not a formality.
    expect(await refusalUnderOtherRoot(issued.chainPem, issued.keyPem)).toMatch(/no trusted root signed/);
  });

  it("fails with the CA's message when the challenge is not served, and leaves the store clean", async () => {
    // A store that takes tokens but that nothing serves: what a hostname whose DNS points elsewhere looks like.
    const unserved = new Set<string>();
    const silent: ChallengeStore = {
      set: (token) => void unserved.add(token),
      remove: (token) => void unserved.delete(token),
    };
    const failure = await orderCertificate({
      directoryUrl: pebble!.directoryUrl,
      caFile: pebble!.caFile,
      accountKeyPem: createAccountKey(),
      hostnames: ['nothing-served.plat.test'],
      challenges: silent,
      poll,
    }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(AcmeOrderFailed);
    const failed = failure as AcmeOrderFailed;
    expect(failed.hostnames).toEqual(['nothing-served.plat.test']);
    // pebble's own words: the URL its validation fetched and the status the challenge server gave.
    expect(failed.caMessage).toMatch(
      new RegExp(
        `^Non-200 status code from HTTP: http://nothing-served\\.plat\\.test:${httpPort}` +
          '/\\.well-known/acme-challenge/\\S+ returned 404$',
      ),
    );
    expect(failed.message).toBe(`Could not get a certificate for nothing-served.plat.test: ${failed.caMessage}`);
    expect(requests.some((r) => r.startsWith(`nothing-served.plat.test:${httpPort}${PREFIX}`))).toBe(true);
    expect(unserved.size).toBe(0);
  });

  it('refuses a CA file that does not exist, before talking to the CA', async () => {
    await expect(
      orderCertificate({
        directoryUrl: pebble!.directoryUrl,
        caFile: '/nonexistent/plat-ca.pem',
        accountKeyPem: createAccountKey(),
        hostnames: ['app1.plat.test'],
        challenges: store,
      }),
    ).rejects.toThrow(/The ACME CA file \/nonexistent\/plat-ca\.pem cannot be read: ENOENT/);
  });
});

/** The refusal checkCertificate gives when the chain is checked against a root that did not sign it. */
async function refusalUnderOtherRoot(chainPem: string, keyPem: string): Promise<string> {
  const other = await makeCertificate({ name: 'Some Other Root', ca: true });
  try {
    checkCertificate({ chainPem, keyPem, trustedRootsPem: other.pem });
    return 'accepted';
  } catch (error) {
    return (error as Error).message;
  }
}
