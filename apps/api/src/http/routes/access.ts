import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import {
  AppParamsSchema,
  AuditEventSchema,
  AuditQuerySchema,
  CollaboratorCreateSchema,
  CollaboratorParamsSchema,
  CollaboratorSchema,
  PlatError,
} from '@plat/core';
import type { Platform } from '../../platform.js';
import { audit } from '../../services/audit.js';
import { listAudit } from '../../store/audit.js';
import { addCollaborator, listCollaborators, removeCollaborator } from '../../store/collaborators.js';
import { ensureUserExists } from '../../services/users.js';
import { findUserByEmail } from '../../store/users.js';
import { errors } from '../error-responses.js';

/** Who may use an app (collaborators) and what they did (audit events). */
export const accessRoutes: FastifyPluginAsyncTypebox<{ platform: Platform }> = async (app, { platform }) => {
  const { sql } = platform;

  app.get(
    '/v1/apps/:app/collaborators',
    {
      schema: {
        tags: ['collaborators'],
        summary: "The app's collaborators",
        params: AppParamsSchema,
        response: { 200: Type.Array(CollaboratorSchema), ...errors(403, 404) },
      },
    },
    async (request) =>
      (await listCollaborators(sql, request.appRow.id)).map((c) => ({
        email: c.email,
        created_at: c.created_at.toISOString(),
      })),
  );

  app.post(
    '/v1/apps/:app/collaborators',
    {
      schema: {
        tags: ['collaborators'],
        summary: 'Give a user access to the app (owner or admin)',
        params: AppParamsSchema,
        body: CollaboratorCreateSchema,
        response: { 201: CollaboratorSchema, ...errors(403, 404, 409, 422) },
      },
      config: { access: 'owner' },
    },
    async (request, reply) => {
      const row = request.appRow;
      const user = await ensureUserExists(platform, request.body.email);
      if (user.id === row.owner_id) throw new PlatError('conflict', `${user.email} owns ${row.name} already.`);
      if (!(await addCollaborator(sql, row.id, user.id))) {
        throw new PlatError('conflict', `${user.email} is a collaborator on ${row.name} already.`);
      }
      await audit(platform, row, request.user!, 'collaborator.add', { email: user.email });
      return reply.code(201).send({ email: user.email, created_at: new Date().toISOString() });
    },
  );

  app.delete(
    '/v1/apps/:app/collaborators/:email',
    {
      schema: {
        tags: ['collaborators'],
        summary: "Remove a user's access",
        params: CollaboratorParamsSchema,
        response: { 204: Type.Null(), ...errors(403, 404) },
      },
      config: { access: 'owner' },
    },
    async (request, reply) => {
      const { email } = request.params;
      const row = request.appRow;
      const user = await findUserByEmail(sql, email.toLowerCase());
      if (!user || !(await removeCollaborator(sql, row.id, user.id))) {
        throw new PlatError('not_found', `${email} is not a collaborator on ${row.name}.`);
      }
      await audit(platform, row, request.user!, 'collaborator.remove', { email: user.email });
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/v1/apps/:app/audit-events',
    {
      schema: {
        tags: ['audit'],
        summary: 'Who did what to the app, newest first (config values are masked)',
        params: AppParamsSchema,
        querystring: AuditQuerySchema,
        response: { 200: Type.Array(AuditEventSchema), ...errors(403, 404) },
      },
    },
    async (request) =>
      (await listAudit(sql, request.appRow.id, Number(request.query.limit ?? 100))).map((event) => ({
        id: event.id,
        app: event.app_name,
        actor: event.actor,
        action: event.action,
        data: event.data,
        created_at: event.created_at.toISOString(),
      })),
  );
};
