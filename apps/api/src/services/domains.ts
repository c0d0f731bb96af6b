import { PlatError } from '@plat/core';
import type { Platform } from '../platform.js';
import { checkHostname, normalizeHostname } from '../router/hostname.js';
import type { AppRow } from '../store/apps.js';
import { deleteDomain, insertDomain, type DomainRow } from '../store/domains.js';
import type { User } from '../store/users.js';
import { audit } from './audit.js';

export async function addDomain(platform: Platform, app: AppRow, user: User, raw: string): Promise<DomainRow> {
  const { domain: platDomain, apiDomain } = platform.settings;
  const hostname = checkHostname(raw, { platDomain, ...(apiDomain ? { apiDomain: apiDomain.hostname } : {}) });
  // nginx has the last word, before anything is stored: a name it refuses never reaches the router.
  const refusal = await platform.router.refusalOf(app.name, hostname, platform.controller.hostnameOf(app.name));
  if (refusal)
    throw new PlatError(
      'invalid_params',
      `The router cannot serve ${hostname}, so it was not added: nginx refuses it (${refusal}).`,
    );
  const domain = await insertDomain(platform.sql, app.id, hostname);
  if (!domain) throw new PlatError('conflict', `${hostname} is already in use by an app.`);
  await audit(platform, app, user, 'domain.add', { hostname });
  await platform.controller.converge(app.name);
  return domain;
}

export async function removeDomain(platform: Platform, app: AppRow, user: User, raw: string): Promise<void> {
  const hostname = normalizeHostname(raw);
  if (!(await deleteDomain(platform.sql, app.id, hostname)))
    throw new PlatError('not_found', `${hostname} is not a domain of ${app.name}.`);
  await audit(platform, app, user, 'domain.remove', { hostname });
  await platform.controller.converge(app.name);
}
