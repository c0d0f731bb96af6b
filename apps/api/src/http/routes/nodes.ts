import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { NodeJoinCommandSchema, NodeParamsSchema, NodeSchema } from '@plat/core';
import { requireAdmin } from '../../auth/access.js';
import type { Platform } from '../../platform.js';
import { listNodes, nodeJoinCommand, setNodeAvailability } from '../../services/nodes.js';
import { errors } from '../error-responses.js';

const SWARM_ONLY = ' (admins only; PLAT_RUNTIME=swarm, else 409)';

/** `plat nodes`, `nodes:drain`, `nodes:activate`, `nodes:join-command`: the Swarm's servers, for admins only. */
export const nodeRoutes: FastifyPluginAsyncTypebox<{ platform: Platform }> = async (app, { platform }) => {
  app.get(
    '/v1/nodes',
    {
      schema: {
        tags: ['nodes'],
        summary: `The swarm's nodes: role, state, availability, address and this Plat's dynos on each${SWARM_ONLY}`,
        response: { 200: Type.Array(NodeSchema), ...errors(403, 409, 503) },
      },
    },
    async (request) => {
      requireAdmin(request.user!);
      return listNodes(platform);
    },
  );

  app.get(
    '/v1/nodes/join-command',
    {
      schema: {
        tags: ['nodes'],
        summary: `The \`docker swarm join\` command that adds a server to the swarm as a worker${SWARM_ONLY}`,
        response: { 200: NodeJoinCommandSchema, ...errors(403, 409, 503) },
      },
    },
    async (request) => {
      requireAdmin(request.user!);
      return nodeJoinCommand(platform, request.user!);
    },
  );

  const availabilityRoute = (path: string, availability: 'drain' | 'active', summary: string) =>
    app.post(
      path,
      {
        schema: {
          tags: ['nodes'],
          summary: `${summary}${SWARM_ONLY}`,
          params: NodeParamsSchema,
          response: { 200: NodeSchema, ...errors(403, 404, 409, 422, 503) },
        },
      },
      async (request) => {
        requireAdmin(request.user!);
        return setNodeAvailability(platform, request.user!, request.params.node, availability);
      },
    );
  availabilityRoute(
    '/v1/nodes/:node/actions/drain',
    'drain',
    'Drain a node: Swarm moves its dynos to other nodes and places no new ones there',
  );
  availabilityRoute(
    '/v1/nodes/:node/actions/activate',
    'active',
    'Make a drained node active: Swarm may place dynos there',
  );
};
