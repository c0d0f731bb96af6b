import type { FastifyPluginAsync } from 'fastify';
import { gitReceiver } from '@plat/builder';
import { appForUser, authenticate } from '../../auth/access.js';
import type { Platform } from '../../platform.js';

/** `git push` and `git clone` of app repositories, authorised like the API. */
export const gitRoutes: FastifyPluginAsync<{ platform: Platform }> = async (app, { platform }) => {
  const hookBase = `http://127.0.0.1:${platform.settings.apiPort}`;
  await gitReceiver(app, {
    reposDir: platform.reposDir,
    authorize: async (name, token) => {
      const user = await authenticate(platform.sql, token);
      await appForUser(platform.sql, user, name);
    },
    hookEnv: (name) => ({
      PLAT_HOOK_URL: `${hookBase}/internal/apps/${name}/pushes`,
      PLAT_HOOK_SECRET: platform.hookSecret,
    }),
  });
};
