import { networkInterfaces } from 'node:os';
import { PlatError } from '@plat/core';
import { addressRefusal } from '../drains/drain-address.js';

/**
 * Where a webhook may be sent. platd runs as root beside the state database
 * and add-ons, so a user-given URL must not reach the host or its private
 * networks: only http(s), and only public addresses, checked on the address
 * the name resolves to at each attempt (PLAT_WEBHOOKS_ALLOW_PRIVATE lifts
 * the address rule, for receivers on the same network, and for tests).
 */
export const MAX_URL_LENGTH = 2048;

export function checkWebhookUrl(raw: string): URL {
  if (raw.length > MAX_URL_LENGTH)
    throw new PlatError('invalid_params', `The URL is over ${MAX_URL_LENGTH} characters.`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new PlatError('invalid_params', `${JSON.stringify(raw)} is not a URL.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new PlatError('invalid_params', `A webhook URL must be http:// or https://, not ${url.protocol}//.`);
  if (url.username || url.password)
    throw new PlatError(
      'invalid_params',
      'A webhook URL may not carry a user or password: receivers check the signature made with --secret.',
    );
  if (!url.hostname) throw new PlatError('invalid_params', 'The webhook URL has no host.');
  return url;
}

/** Whether an address is one a webhook may reach: public unicast only, never this host (the drains' rules). */
export function publicAddress(address: string): boolean {
  const hostAddresses = Object.values(networkInterfaces()).flatMap((list) =>
    (list ?? []).map((entry) => entry.address),
  );
  return addressRefusal(address, { allowPrivate: false, hostAddresses }) === undefined;
}
