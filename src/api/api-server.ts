import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { ApprovalService } from '../approvals/approval-service.js';
import type { AuditApi } from '../audit/start-audit.js';
import type { ListenAddress } from '../config/schema.js';
import type { Clock } from '../core/clock.js';
import { GatehouseError, HTTP_STATUS_BY_CODE } from '../core/errors.js';
import type { Authenticator } from '../core/identity.js';
import { registerApprovalRoutes } from './approval-routes.js';
import { registerAuditRoutes } from './audit-routes.js';
import { bearerAuth } from './bearer-auth.js';
import { type HealthDeps, registerHealthRoutes } from './health-routes.js';
import { type CentralPolicyApi, registerPolicyVersionRoutes } from './policy-version-routes.js';
import { errorSchema, ticketSchema } from './schemas.js';
import { registerSessionRoutes } from './session-routes.js';
import { registerSshRoutes, type SshRoutesDeps } from './ssh-routes.js';

export interface ApiDeps extends HealthDeps {
  logger: Logger;
  authenticator: Authenticator;
  approvals: ApprovalService;
  clock: Clock;
  /** Sessions and audit routes; absent, they are not served. */
  audit?: AuditApi;
  /** Central policy versions (`/api/policy…`); absent, they are not served. */
  policy?: CentralPolicyApi;
  /**
   * The console's cookie session token (CSRF-checked by the console), asked when a request has
   * no Authorization header. Given by the composition root so the API never imports the console.
   */
  sessionToken: (request: FastifyRequest) => string | undefined;
  /** `POST /api/ssh/certificate` (gatehouse login --ssh); absent, it is not served. */
  ssh?: SshRoutesDeps;
}

/** The HTTP API: health and metrics at the root, the REST API under /api with bearer tokens. */
export async function buildApi(deps: ApiDeps): Promise<FastifyInstance> {
  const app = Fastify({
    // Requests are not logged one by one; errors are, through deps.logger below.
    logger: false,
    bodyLimit: 2 << 20,
  });
  app.setErrorHandler((error, _request, reply) => {
    if (error instanceof GatehouseError) {
      return reply
        .code(HTTP_STATUS_BY_CODE[error.code])
        .send({ error: error.code, message: error.message, ...error.details });
    }
    const status = (error as { statusCode?: number }).statusCode;
    if (status && status < 500) {
      return reply
        .code(status)
        .send({ error: 'invalid_request', message: (error as Error).message });
    }
    deps.logger.error({ err: error }, 'api error');
    return reply.code(500).send({ error: 'internal', message: 'internal error' });
  });
  app.addSchema(errorSchema);
  app.addSchema(ticketSchema);
  await app.register(swagger, {
    openapi: {
      info: { title: 'Gatehouse API', version: '1' },
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      },
    },
  });

  registerHealthRoutes(app, deps);
  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  await app.register(async (api) => {
    api.addHook('onRequest', bearerAuth(deps.authenticator, deps.sessionToken));
    registerApprovalRoutes(api, deps.approvals, deps.clock);
    if (deps.audit) registerSessionRoutes(api, deps.audit);
    if (deps.audit) registerAuditRoutes(api, deps.audit);
    if (deps.policy) {
      registerPolicyVersionRoutes(api, deps.policy, deps.clock, (id) =>
        deps.approvals.ticketUrl(id),
      );
    }
    if (deps.ssh) registerSshRoutes(api, deps.ssh);
  });
  return app;
}

export async function listenApi(app: FastifyInstance, listen: ListenAddress): Promise<string> {
  await app.listen({ host: listen.host, port: listen.port });
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new TypeError('API did not bind a TCP port');
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}
