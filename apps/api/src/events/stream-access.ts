import type { FastifyRequest } from 'fastify';
import { appForUser, authenticate } from '../auth/access.js';
import type { Platform } from '../platform.js';

/**
 * Whether the request's token still opens its app: the token is valid (not
 * revoked, expired or disabled) and its user may still use this very app (not
 * destroyed, renamed away, or the collaborator removed). A live stream asks
 * at each heartbeat, and once before it subscribes, after its awaits.
 */
export function streamAccess(platform: Platform, request: FastifyRequest): () => Promise<boolean> {
  const header = request.headers.authorization;
  const token = header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
  const { id, name } = request.appRow;
  return async () => {
    try {
      const user = await authenticate(platform.sql, token);
      return (await appForUser(platform.sql, user, name)).id === id;
    } catch {
      return false;
    }
  };
}
