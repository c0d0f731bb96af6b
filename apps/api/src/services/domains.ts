import { PlatError } from '@plat/core';
import type { Platform } from '../platform.js';
import type { AppRow } from '../store/apps.js';
import { deleteDomain, insertDomain, type DomainRow } from '../store/domains.js';
import type { User } from '../store/users.js';
import { audit } from './audit.js';

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/** A hostname as DNS allows it, lowercased; wildcards only as the whole first label. */
export function checkHostname(raw: string, platDomain: string): string {
  const hostname = raw.trim().toLowerCase().replace(/\.$/, '');
  const labels = hostname.split('.');
  const valid =
    hostname.length <= 253 &&
    labels.length >= 2 &&
    labels.every((label, index) => LABEL.test(label) || (index === 0 && label === '*')) &&
    !/^\d+$/.test(labels.at(-1)!);
  if (!valid) throw new PlatError('invalid_params', `Invalid hostname ${JSON.stringify(raw)}: expected something like www.example.com.`);
  if (hostname === platDomain || hostname.endsWith(`.${platDomain}`)) {
    throw new PlatError('invalid_params', `${hostname} is under ${platDomain}, where Plat names apps itself.`);
  }
  return hostname;
}

export async function addDomain(platform: Platform, app: AppRow, user: User, raw: string): Promise<DomainRow> {
  const hostname = checkHostname(raw, platform.settings.domain);
  const domain = await insertDomain(platform.sql, app.id, hostname);
  if (!domain) throw new PlatError('conflict', `${hostname} is already in use by an app.`);
  await audit(platform, app, user, 'domain.add', { hostname });
  await platform.controller.converge(app.name);
  return domain;
}

export async function removeDomain(platform: Platform, app: AppRow, user: User, raw: string): Promise<void> {
  const hostname = raw.trim().toLowerCase();
  if (!(await deleteDomain(platform.sql, app.id, hostname))) throw new PlatError('not_found', `${hostname} is not a domain of ${app.name}.`);
  await audit(platform, app, user, 'domain.remove', { hostname });
  await platform.controller.converge(app.name);
}
