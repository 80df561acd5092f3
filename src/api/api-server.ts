import Fastify, { type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { ListenAddress } from '../config/schema.js';
import { GatehouseError, HTTP_STATUS_BY_CODE } from '../core/errors.js';
import { type HealthDeps, registerHealthRoutes } from './health-routes.js';

export interface ApiDeps extends HealthDeps {
  logger: Logger;
}

/** Builds the HTTP API: health, metrics and (as later modules land) the REST API under /api. */
export function buildApi(deps: ApiDeps): FastifyInstance {
  const app = Fastify({ loggerInstance: deps.logger, disableRequestLogging: true, bodyLimit: 1 << 20 });
  app.setErrorHandler((error, _request, reply) => {
    if (error instanceof GatehouseError) {
      return reply
        .code(HTTP_STATUS_BY_CODE[error.code])
        .send({ error: error.code, message: error.message, ...error.details });
    }
    const status = (error as { statusCode?: number }).statusCode;
    if (status && status < 500) {
      return reply.code(status).send({ error: 'bad_request', message: (error as Error).message });
    }
    deps.logger.error({ err: error }, 'api error');
    return reply.code(500).send({ error: 'internal', message: 'internal error' });
  });
  registerHealthRoutes(app, deps);
  return app;
}

export async function listenApi(app: FastifyInstance, listen: ListenAddress): Promise<string> {
  await app.listen({ host: listen.host, port: listen.port });
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new TypeError('API did not bind a TCP port');
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}
