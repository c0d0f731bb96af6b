import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { AppParamsSchema, DomainCreateSchema, DomainParamsSchema, DomainSchema } from '@plat/core';
import type { Platform } from '../../platform.js';
import { addDomain, removeDomain } from '../../services/domains.js';
import { listDomains, type DomainRow } from '../../store/domains.js';
import { errors } from '../error-responses.js';

const present = (domain: DomainRow) => ({
  id: domain.id,
  hostname: domain.hostname,
  created_at: domain.created_at.toISOString(),
});

export const domainRoutes: FastifyPluginAsyncTypebox<{ platform: Platform }> = async (app, { platform }) => {
  const { sql } = platform;
  app.get(
    '/v1/apps/:app/domains',
    {
      schema: {
        tags: ['domains'],
        summary: "The app's custom domains",
        params: AppParamsSchema,
        response: { 200: Type.Array(DomainSchema), ...errors(403, 404) },
      },
    },
    async (request) => (await listDomains(sql, request.appRow.id)).map(present),
  );
  app.post(
    '/v1/apps/:app/domains',
    {
      schema: {
        tags: ['domains'],
        summary: 'Route a hostname to the app',
        params: AppParamsSchema,
        body: DomainCreateSchema,
        response: { 201: DomainSchema, ...errors(403, 404, 409, 422) },
      },
    },
    async (request, reply) => {
      const domain = await addDomain(platform, request.appRow, request.user!, request.body.hostname);
      return reply.code(201).send(present(domain));
    },
  );
  app.delete(
    '/v1/apps/:app/domains/:hostname',
    {
      schema: {
        tags: ['domains'],
        summary: 'Stop routing a hostname to the app',
        params: DomainParamsSchema,
        response: { 204: Type.Null(), ...errors(403, 404) },
      },
    },
    async (request, reply) => {
      await removeDomain(platform, request.appRow, request.user!, request.params.hostname);
      return reply.code(204).send(null);
    },
  );
};
