import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { type Certs, PlatError } from '@plat/core';
import type { CommandContext } from '../../context.js';
import { resolveApp } from '../../context.js';
import { emit } from '../../output.js';
import { header, table } from '../../present.js';
import { withProgress } from '../../progress.js';

const SOURCE = { manual: 'own', acme: 'automatic' } as const;

/** `2026-09-01 (in 92 days)`: the date people plan by, and how near it is. */
function expiry(iso: string | null, now = Date.now()): string {
  if (!iso) return '-';
  const days = Math.floor((new Date(iso).getTime() - now) / 86_400_000);
  const when = days < 0 ? `${-days} days ago` : days === 0 ? 'today' : `in ${days} days`;
  return `${iso.slice(0, 10)} (${when})`;
}

/** `plat certs`: per hostname what serves it over HTTPS, then the app's certificates. */
export async function listCerts(options: { app?: string; json?: boolean }, context: CommandContext): Promise<void> {
  const name = await resolveApp(context, options.app);
  const certs = await context.client().certs.list(name);
  emit(context.output, options.json, certs, () => certLines(name, certs, context));
}

function certLines(name: string, certs: Certs, context: CommandContext): string[] {
  const colors = context.output.colors;
  const automatic = certs.acm ? 'on' : 'off (plat certs:auto:enable)';
  return [
    header(`${name} HTTPS (port ${certs.tls_port}; automatic certificates: ${automatic})`, colors),
    ...table(
      ['Hostname', 'Source', 'Expires', 'State'],
      certs.hostnames.map((entry) => [
        entry.hostname,
        entry.source ? SOURCE[entry.source] : '-',
        expiry(entry.expires_at),
        entry.state === 'none' ? 'none (HTTP only)' : entry.state,
      ]),
    ),
    '',
    header(`${name} Certificates`, colors),
    ...(certs.certificates.length > 0
      ? table(
          ['Id', 'Source', 'Names', 'Expires', 'State'],
          certs.certificates.map((cert) => [
            cert.id,
            SOURCE[cert.source],
            cert.hostnames.join(', '),
            expiry(cert.not_after),
            cert.state,
          ]),
        )
      : ['(none)']),
  ];
}

async function readPem(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new PlatError('invalid_params', `Cannot read the ${what} ${path}: ${(error as Error).message}`);
  }
}

/** `plat certs:add CERT KEY`: serve an own certificate for the app's hostnames it covers. */
export async function addCert(
  certFile: string,
  keyFile: string,
  options: { app?: string; json?: boolean },
  context: CommandContext,
): Promise<void> {
  const name = await resolveApp(context, options.app);
  const certificateChain = await readPem(resolve(context.cwd, certFile), 'certificate file');
  const privateKey = await readPem(resolve(context.cwd, keyFile), 'key file');
  const added = await withProgress(context, `Adding the certificate to ${name}`, () =>
    context.client().certs.add(name, { certificateChain, privateKey }),
  );
  emit(context.output, options.json, added, () => [
    `Serving ${added.covers.join(', ')} over HTTPS with ${added.id}, expires ${expiry(added.not_after)}.`,
    ...(added.replaced.length > 0 ? [`It replaces ${added.replaced.join(', ')}.`] : []),
    'Plain HTTP to these hostnames now gets a 308 to HTTPS.',
  ]);
}

/**
 * `plat certs:remove [ID|HOSTNAME]`: stop serving an own certificate, named
 * by its id or a hostname it serves; with none named, the app's only one.
 */
export async function removeCert(
  target: string | undefined,
  options: { app?: string },
  context: CommandContext,
): Promise<void> {
  const name = await resolveApp(context, options.app);
  const client = context.client();
  const certs = await client.certs.list(name);
  const own = certs.certificates.filter((cert) => cert.source === 'manual');
  const byHostname = certs.hostnames.find((entry) => entry.hostname === target?.toLowerCase())?.certificate_id;
  const chosen = target
    ? own.find((cert) => cert.id === target || cert.id === byHostname)
    : own.length === 1
      ? own[0]
      : undefined;
  if (!chosen) {
    const listed = own.map((cert) => `${cert.id} (${cert.hostnames.join(', ')})`).join('; ');
    if (own.length === 0) throw new PlatError('not_found', `${name} has no certificate of its own.`);
    throw new PlatError(
      target ? 'not_found' : 'invalid_params',
      `${target ? `${target} names no certificate of ${name}'s own` : `${name} has ${own.length} certificates`}; ` +
        `name one: plat certs:remove ID. Its own certificates: ${listed}`,
    );
  }
  await withProgress(context, `Removing certificate ${chosen.id} from ${name}`, () =>
    client.certs.remove(name, chosen.id),
  );
}

/** `plat certs:auto:enable` / `certs:auto:disable`: automatic certificates (ACME) on or off. */
export async function setAutoCerts(
  on: boolean,
  options: { app?: string; json?: boolean },
  context: CommandContext,
): Promise<void> {
  const name = await resolveApp(context, options.app);
  const client = context.client();
  const certs = await withProgress(
    context,
    `${on ? 'Enabling' : 'Disabling'} automatic certificates for ${name}`,
    () => (on ? client.certs.enableAuto(name) : client.certs.disableAuto(name)),
  );
  emit(context.output, options.json, certs, () => [
    on
      ? 'Plat orders a certificate for each hostname now and renews it 30 days before it expires; ' +
        'the DNS of each must point at this server. Follow it with: plat certs'
      : 'Automatic certificates are off; the ones Plat got for the app are no longer served.',
    '',
    ...certLines(name, certs, context),
  ]);
}
