import type { FastifyPluginAsync } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { appForUser } from '../../auth/access.js';
import type { Platform } from '../../platform.js';
import { addDomain, removeDomain } from '../../services/domains.js';
import { listDomains, type DomainRow } from '../../store/domains.js';
import { AppParams, Domain, DomainCreate, DomainParams, errors } from '../schemas.js';

const present = (domain: DomainRow) => ({ id: domain.id, hostname: domain.hostname, created_at: domain.created_at.toISOString() });

export const domainRoutes: FastifyPluginAsync<{ platform: Platform }> = async (app, { platform }) => {
  const { sql } = platform;
  app.get(
    '/v1/apps/:app/domains',
    { schema: { tags: ['domains'], summary: "The app's custom domains", params: AppParams, response: { 200: Type.Array(Domain), ...errors(403, 404) } } },
    async (request) => {
      const row = await appForUser(sql, request.user!, (request.params as Static<typeof AppParams>).app);
      return (await listDomains(sql, row.id)).map(present);
    },
  );
  app.post(
    '/v1/apps/:app/domains',
    { schema: { tags: ['domains'], summary: 'Route a hostname to the app', params: AppParams, body: DomainCreate, response: { 201: Domain, ...errors(403, 404, 409, 422) } } },
    async (request, reply) => {
      const row = await appForUser(sql, request.user!, (request.params as Static<typeof AppParams>).app);
      const domain = await addDomain(platform, row, request.user!, (request.body as Static<typeof DomainCreate>).hostname);
      return reply.code(201).send(present(domain));
    },
  );
  app.delete(
    '/v1/apps/:app/domains/:hostname',
    { schema: { tags: ['domains'], summary: 'Stop routing a hostname to the app', params: DomainParams, response: { 204: Type.Null(), ...errors(403, 404) } } },
    async (request, reply) => {
      const { app: name, hostname } = request.params as Static<typeof DomainParams>;
      await removeDomain(platform, await appForUser(sql, request.user!, name), request.user!, hostname);
      return reply.code(204).send();
    },
  );
};
