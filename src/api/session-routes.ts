import type { FastifyInstance, FastifyRequest } from 'fastify';
import { readAudit } from '../audit/read/read-store.js';
import { assertAuditReader } from '../audit/read/readers.js';
import { getSession, listSessions } from '../audit/read/session-queries.js';
import { sessionRecording } from '../audit/read/session-recording.js';
import { sessionDetailView, sessionView } from '../audit/read/session-view.js';
import { parseTimeArg } from '../audit/read/time-arg.js';
import type { AuditApi } from '../audit/start-audit.js';
import type { Action } from '../config/schema.js';
import { GatehouseError } from '../core/errors.js';
import { sessionDetailSchema, sessionQuerySchema, sessionSummarySchema } from './audit-schemas.js';
import { identityOf } from './bearer-auth.js';
import { bearerSecurity, idParamSchema } from './schemas.js';

interface SessionQuerystring {
  connector?: string;
  subject?: string;
  since?: string;
  until?: string;
  decision?: Action;
  limit?: number;
}

/** `GET /api/sessions` and `GET /api/sessions/{id}`, for audit readers only (docs/audit.md). */
export function registerSessionRoutes(app: FastifyInstance, audit: AuditApi): void {
  const reader = async (request: FastifyRequest) => {
    assertAuditReader(identityOf(request), audit.readers);
  };

  app.get<{ Querystring: SessionQuerystring }>(
    '/api/sessions',
    {
      schema: {
        summary: 'Recorded sessions, most recent first',
        security: bearerSecurity,
        querystring: sessionQuerySchema,
        response: { 200: { type: 'array', items: sessionSummarySchema } },
      },
      preHandler: reader,
    },
    async (request) => {
      const { since, until, ...filters } = request.query;
      const now = audit.clock.now();
      const query = {
        ...filters,
        ...(since !== undefined && { since: parseTimeArg(since, now, 'since') }),
        ...(until !== undefined && { until: parseTimeArg(until, now, 'until') }),
      };
      const sessions = await readAudit(() => listSessions(audit.store, query));
      return sessions.map(sessionView);
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/sessions/:id',
    {
      schema: {
        summary: 'One session with its commands in order: decisions, tickets, outcomes, results',
        security: bearerSecurity,
        params: idParamSchema,
        response: { 200: sessionDetailSchema },
      },
      preHandler: reader,
    },
    async (request) => {
      const session = await readAudit(() => getSession(audit.store, request.params.id));
      if (!session) throw new GatehouseError('not_found', `no session ${request.params.id}`);
      return sessionDetailView(session);
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/sessions/:id/recording',
    {
      schema: {
        summary:
          "The session's terminal recordings (SSH exec output and shells) as one asciicast v2 stream",
        security: bearerSecurity,
        params: idParamSchema,
        produces: ['application/x-asciicast'],
      },
      preHandler: reader,
    },
    async (request, reply) => {
      const session = await readAudit(() => getSession(audit.store, request.params.id));
      if (!session) throw new GatehouseError('not_found', `no session ${request.params.id}`);
      const recording = sessionRecording(session);
      if (recording === undefined) {
        throw new GatehouseError(
          'not_found',
          `session ${request.params.id} has no terminal recording`,
        );
      }
      return reply.type('application/x-asciicast').send(recording);
    },
  );
}
