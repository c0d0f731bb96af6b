import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { SshEndpointSchema, SshKeyCreateSchema, SshKeyParamsSchema, SshKeySchema } from '@plat/core';
import type { Platform } from '../../platform.js';
import { addSshKey, removeSshKey, sshEndpoint, userSshKeys } from '../../services/ssh-keys.js';
import { errors } from '../error-responses.js';

/** The host name a client reached the API by (no port): the SSH remote names the same host. */
function hostname(header: string | undefined): string {
  if (!header) return '127.0.0.1';
  if (header.startsWith('[')) return header.slice(0, header.indexOf(']') + 1);
  return header.replace(/:\d+$/, '');
}

/** Your SSH public keys for git over SSH, and where sshd answers. */
export const keyRoutes: FastifyPluginAsyncTypebox<{ platform: Platform }> = async (app, { platform }) => {
  app.get(
    '/v1/account/keys',
    { schema: { tags: ['keys'], summary: 'Your SSH public keys', response: { 200: Type.Array(SshKeySchema) } } },
    async (request) => userSshKeys(platform, request.user!),
  );

  app.post(
    '/v1/account/keys',
    {
      schema: {
        tags: ['keys'],
        summary: 'Add an SSH public key for git over SSH; a key belongs to one user only',
        body: SshKeyCreateSchema,
        response: { 201: SshKeySchema, ...errors(409, 422) },
      },
    },
    async (request, reply) => reply.code(201).send(await addSshKey(platform, request.user!, request.body.public_key)),
  );

  app.delete(
    '/v1/account/keys/:id',
    {
      schema: {
        tags: ['keys'],
        summary: 'Remove one of your SSH keys; it stops working at once',
        params: SshKeyParamsSchema,
        response: { 204: Type.Null(), ...errors(404) },
      },
    },
    async (request, reply) => {
      await removeSshKey(platform, request.user!, request.params.id);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/v1/ssh',
    {
      schema: {
        tags: ['keys'],
        summary: "Where git over SSH answers (ssh://git@host:port/app.git) and sshd's host keys",
        response: { 200: SshEndpointSchema },
      },
    },
    async (request) => sshEndpoint(platform, hostname(request.headers.host)),
  );
};
