import type { FastifyError, FastifyInstance } from 'fastify';
import { PlatError } from '@plat/core';

/** The one place errors become responses: `{ "id": ..., "message": ... }`. */
export function installErrorHandler(app: FastifyInstance, log: (line: string) => void): void {
  app.setErrorHandler((error: FastifyError | PlatError, _request, reply) => {
    if (error instanceof PlatError) return reply.code(error.status).send(error.toJSON());
    if ((error as FastifyError).validation) {
      return reply.code(422).send({ id: 'invalid_params', message: `Invalid request: ${error.message}` });
    }
    const status = (error as FastifyError).statusCode;
    if (status === 429) return reply.code(429).send({ id: 'rate_limited', message: error.message });
    if (status === 413) return reply.code(413).send({ id: 'payload_too_large', message: error.message });
    if (status && status >= 400 && status < 500) {
      return reply.code(status).send({ id: 'invalid_params', message: error.message });
    }
    log(`internal error: ${error.stack ?? error.message}`);
    return reply.code(500).send(new PlatError('internal_error').toJSON());
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ id: 'not_found', message: `No such route: ${request.method} ${request.url.split('?')[0]}` }),
  );
}
