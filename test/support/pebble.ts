/**
 * A real ACME CA on loopback for tests: Debian's pebble, with
 * pebble-challtestsrv as its DNS server answering 127.0.0.1 for every name,
 * so pebble's HTTP-01 validation reaches `http://<any hostname>:<httpPort>/`
 * on this machine. No validation shortcut: pebble fetches every token.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeChain } from '../../apps/api/src/testing/certificates.js';
import { freePort } from './ports.js';

export interface Pebble {
  directoryUrl: string;
  /** PEM of the CA that signed pebble's own HTTPS certificate: what PLAT_ACME_CA_FILE names. */
  caFile: string;
  /** PEM of the root pebble issues under (made anew at every start). */
  issuingRoot(): Promise<string>;
  /** Makes `hostname` resolve to these IPv4 addresses instead of 127.0.0.1 (to fail a validation). */
  resolve(hostname: string, addresses: string[]): Promise<void>;
  /** pebble's and challtestsrv's output so far, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

interface Started {
  child: ChildProcess;
  name: string;
}

function httpsGet(url: string, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = get(url, { ca, timeout: 5_000 }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      response.on('error', reject);
    });
    request.on('timeout', () => request.destroy(new Error(`GET ${url} timed out`)));
    request.on('error', reject);
  });
}

async function stopChild({ child }: Started): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  // SIGKILL cannot be ignored, so the wait below is bounded.
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited.finally(() => clearTimeout(timer));
}

/** Starts challtestsrv and pebble on free loopback ports; pebble validates HTTP-01 on `httpPort`. */
export async function startPebble(options: {
  httpPort: number;
  /** Seconds the certificates it issues are valid for (pebble's default: 5 years). */
  certificateValidityPeriod?: number;
}): Promise<Pebble> {
  const dir = mkdtempSync(join(tmpdir(), 'plat-pebble-'));
  const started: Started[] = [];
  let log = '';
  const launch = (name: string, args: string[], env: NodeJS.ProcessEnv = process.env): Started => {
    const child = spawn(name, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (chunk: Buffer): void => {
      log += `[${name}] ${chunk.toString()}`;
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.on('error', (error) => (log += `[${name}] ${error.message}\n`));
    const entry = { child, name };
    started.push(entry);
    return entry;
  };
  const stop = async (): Promise<void> => {
    await Promise.allSettled(started.map(stopChild));
    rmSync(dir, { recursive: true, force: true });
  };
  /** Polls `check` for up to 20 s, failing at once with the output if the process is gone. */
  const waitFor = async (what: string, entry: Started, check: () => Promise<boolean>): Promise<void> => {
    const deadline = Date.now() + 20_000;
    let last = '';
    while (Date.now() < deadline) {
      if (entry.child.pid === undefined) {
        throw new Error(`${entry.name} could not be started; infra/setup.sh installs Debian's pebble package.\n${log}`);
      }
      if (entry.child.exitCode !== null || entry.child.signalCode !== null) {
        const how = entry.child.exitCode ?? entry.child.signalCode;
        throw new Error(`${entry.name} exited (${how}) before ${what}:\n${log}`);
      }
      const done = await check().catch((error: Error) => {
        last = error.message;
        return false;
      });
      if (done) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`timed out after 20 s waiting for ${what}${last ? ` (last error: ${last})` : ''}:\n${log}`);
  };

  try {
    // pebble's own HTTPS certificate, from a CA made here: what PLAT_ACME_CA_FILE trusts.
    const tls = await makeChain({ name: 'pebble', hostnames: ['localhost'], ips: ['127.0.0.1'] });
    const caFile = join(dir, 'ca.pem');
    writeFileSync(caFile, tls.root.pem);
    writeFileSync(join(dir, 'cert.pem'), tls.leaf.pem + tls.intermediate.pem);
    writeFileSync(join(dir, 'key.pem'), tls.leaf.keyPem, { mode: 0o600 });
    const [listen, management, dns, dnsManagement, tlsPort] = await Promise.all(Array.from({ length: 5 }, freePort));
    writeFileSync(
      join(dir, 'pebble-config.json'),
      JSON.stringify({
        pebble: {
          listenAddress: `127.0.0.1:${listen}`,
          managementListenAddress: `127.0.0.1:${management}`,
          certificate: join(dir, 'cert.pem'),
          privateKey: join(dir, 'key.pem'),
          httpPort: options.httpPort,
          // TLS-ALPN-01 is not used; a free port keeps pebble off 5001.
          tlsPort,
          ocspResponderURL: '',
          externalAccountBindingRequired: false,
          ...(options.certificateValidityPeriod
            ? { certificateValidityPeriod: options.certificateValidityPeriod }
            : {}),
        },
      }),
    );

    // Every A query answers 127.0.0.1 and AAAA none, so validation dials the test's IPv4 server.
    const challtestsrv = launch('pebble-challtestsrv', [
      '-defaultIPv4',
      '127.0.0.1',
      '-defaultIPv6',
      '',
      '-dns01',
      `127.0.0.1:${dns}`,
      '-management',
      `127.0.0.1:${dnsManagement}`,
      '-http01',
      '',
      '-https01',
      '',
      '-tlsalpn01',
      '',
    ]);
    await waitFor('pebble-challtestsrv to answer', challtestsrv, async () => {
      const response = await fetch(`http://127.0.0.1:${dnsManagement}/`);
      return response.status > 0;
    });

    const pebble = launch('pebble', ['-config', join(dir, 'pebble-config.json'), '-dnsserver', `127.0.0.1:${dns}`], {
      ...process.env,
      // Validate at once instead of after a random 0-15 s; never reject nonces or reuse authorizations at random.
      PEBBLE_VA_NOSLEEP: '1',
      PEBBLE_WFE_NONCEREJECT: '0',
      PEBBLE_AUTHZREUSE: '0',
    });
    const directoryUrl = `https://127.0.0.1:${listen}/dir`;
    const ca = tls.root.pem;
    await waitFor('pebble to serve its directory', pebble, async () => {
      return (await httpsGet(directoryUrl, ca)).status === 200;
    });
    return {
      directoryUrl,
      caFile,
      output: () => log,
      stop,
      resolve: async (hostname, addresses) => {
        const response = await fetch(`http://127.0.0.1:${dnsManagement}/add-a`, {
          method: 'POST',
          body: JSON.stringify({ host: hostname, addresses }),
        });
        if (!response.ok) throw new Error(`challtestsrv /add-a answered ${response.status}: ${await response.text()}`);
      },
      issuingRoot: async () => {
        const root = await httpsGet(`https://127.0.0.1:${management}/roots/0`, ca);
        if (root.status !== 200) throw new Error(`pebble /roots/0 answered ${root.status}: ${root.body}`);
        return root.body;
      },
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
