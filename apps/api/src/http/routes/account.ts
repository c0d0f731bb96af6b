import type { FastifyPluginAsync } from 'fastify';

export const accountRoutes: FastifyPluginAsync = async (app) => {
  app.get('/v1/account', async (request) => ({ user: request.user!.email, admin: request.user!.admin }));
};
