import type { FastifyPluginAsync } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { PlatError } from '@plat/core';
import type { Platform } from '../../platform.js';
import { tokenExpiry } from '../../services/users.js';
import { createTokenRow, listTokens, revokeToken, type TokenRow } from '../../store/users.js';
import { Account, errors, Token, TokenCreate, TokenCreated } from '../schemas.js';

export const presentToken = (token: TokenRow) => ({
  id: token.id,
  description: token.description,
  created_at: token.created_at.toISOString(),
  last_used_at: token.last_used_at?.toISOString() ?? null,
  expires_at: token.expires_at?.toISOString() ?? null,
});

export const accountRoutes: FastifyPluginAsync<{ platform: Platform }> = async (app, { platform }) => {
  const { sql } = platform;
  app.get('/v1/account', { schema: { tags: ['account'], summary: 'Who the token belongs to', response: { 200: Account } } }, async (request) => ({
    user: request.user!.email,
    admin: request.user!.admin,
  }));

  app.get('/v1/account/tokens', { schema: { tags: ['tokens'], summary: 'Your tokens (never their secrets)', response: { 200: Type.Array(Token) } } }, async (request) =>
    (await listTokens(sql, request.user!.id)).map(presentToken),
  );

  app.post(
    '/v1/account/tokens',
    {
      schema: {
        tags: ['tokens'],
        summary: 'Create a token, optionally expiring (expires_in seconds, or expires_at); its secret is shown only in this response',
        body: TokenCreate,
        response: { 201: TokenCreated, ...errors(422) },
      },
    },
    async (request, reply) => {
      const body = (request.body ?? {}) as Static<typeof TokenCreate>;
      const expiry = tokenExpiry(body);
      const token = await createTokenRow(sql, request.user!.id, { description: body.description ?? '', ...(expiry ? { expiry } : {}) });
      return reply.code(201).send({ ...presentToken(token), token: token.token });
    },
  );

  app.delete(
    '/v1/account/tokens/:id',
    {
      schema: {
        tags: ['tokens'],
        summary: "Revoke a token: one of yours, or (admins) anyone's",
        params: Type.Object({ id: Type.String({ maxLength: 64 }) }),
        response: { 204: Type.Null(), ...errors(404) },
      },
    },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      if (!(await revokeToken(sql, request.user!.id, id, { anyUser: request.user!.admin }))) throw new PlatError('not_found', `Couldn't find token ${id}.`);
      return reply.code(204).send();
    },
  );
};
