import type { FastifyPluginAsync } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { PlatError } from '@plat/core';
import { appForUser } from '../../auth/access.js';
import type { Platform } from '../../platform.js';
import { audit } from '../../services/audit.js';
import { listAudit } from '../../store/audit.js';
import { addCollaborator, listCollaborators, removeCollaborator } from '../../store/collaborators.js';
import { ensureUserExists } from '../../services/users.js';
import { findUserByEmail } from '../../store/users.js';
import { AppParams, AuditEvent, AuditQuery, Collaborator, CollaboratorCreate, CollaboratorParams, errors } from '../schemas.js';

/** Who may use an app (collaborators) and what they did (audit events). */
export const accessRoutes: FastifyPluginAsync<{ platform: Platform }> = async (app, { platform }) => {
  const { sql } = platform;

  app.get(
    '/v1/apps/:app/collaborators',
    { schema: { tags: ['collaborators'], summary: "The app's collaborators", params: AppParams, response: { 200: Type.Array(Collaborator), ...errors(403, 404) } } },
    async (request) => {
      const row = await appForUser(sql, request.user!, (request.params as Static<typeof AppParams>).app);
      return (await listCollaborators(sql, row.id)).map((c) => ({ email: c.email, created_at: c.created_at.toISOString() }));
    },
  );

  app.post(
    '/v1/apps/:app/collaborators',
    {
      schema: { tags: ['collaborators'], summary: 'Give a user access to the app (owner or admin)', params: AppParams, body: CollaboratorCreate, response: { 201: Collaborator, ...errors(403, 404, 409, 422) } },
    },
    async (request, reply) => {
      const row = await appForUser(sql, request.user!, (request.params as Static<typeof AppParams>).app, 'owner');
      const user = await ensureUserExists(platform, (request.body as Static<typeof CollaboratorCreate>).email);
      if (user.id === row.owner_id) throw new PlatError('conflict', `${user.email} owns ${row.name} already.`);
      if (!(await addCollaborator(sql, row.id, user.id))) throw new PlatError('conflict', `${user.email} is a collaborator on ${row.name} already.`);
      await audit(platform, row, request.user!, 'collaborator.add', { email: user.email });
      return reply.code(201).send({ email: user.email, created_at: new Date().toISOString() });
    },
  );

  app.delete(
    '/v1/apps/:app/collaborators/:email',
    { schema: { tags: ['collaborators'], summary: "Remove a user's access", params: CollaboratorParams, response: { 204: Type.Null(), ...errors(403, 404) } } },
    async (request, reply) => {
      const { app: name, email } = request.params as Static<typeof CollaboratorParams>;
      const row = await appForUser(sql, request.user!, name, 'owner');
      const user = await findUserByEmail(sql, email.toLowerCase());
      if (!user || !(await removeCollaborator(sql, row.id, user.id))) throw new PlatError('not_found', `${email} is not a collaborator on ${row.name}.`);
      await audit(platform, row, request.user!, 'collaborator.remove', { email: user.email });
      return reply.code(204).send();
    },
  );

  app.get(
    '/v1/apps/:app/audit-events',
    {
      schema: { tags: ['audit'], summary: 'Who did what to the app, newest first (config values are masked)', params: AppParams, querystring: AuditQuery, response: { 200: Type.Array(AuditEvent), ...errors(403, 404) } },
    },
    async (request) => {
      const row = await appForUser(sql, request.user!, (request.params as Static<typeof AppParams>).app);
      const { limit } = request.query as Static<typeof AuditQuery>;
      return (await listAudit(sql, row.id, Number(limit ?? 100))).map((event) => ({
        id: event.id,
        app: event.app_name,
        actor: event.actor,
        action: event.action,
        data: event.data,
        created_at: event.created_at.toISOString(),
      }));
    },
  );
};
