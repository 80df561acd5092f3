import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  EXPORT_CONTENT_TYPE,
  type ExportFormat,
  exportRecords,
} from '../audit/read/chain-export.js';
import { parseAnchor, verifyChain } from '../audit/read/chain-verify.js';
import { readAudit } from '../audit/read/read-store.js';
import { assertAuditReader } from '../audit/read/readers.js';
import { parseTimeArg } from '../audit/read/time-arg.js';
import type { AuditApi } from '../audit/start-audit.js';
import { exportQuerySchema, verifyReportSchema } from './audit-schemas.js';
import { identityOf } from './bearer-auth.js';
import { bearerSecurity } from './schemas.js';

/** `GET /api/audit/verify` and `GET /api/audit/export`, for audit readers only (docs/audit.md). */
export function registerAuditRoutes(app: FastifyInstance, audit: AuditApi): void {
  const reader = async (request: FastifyRequest) => {
    assertAuditReader(identityOf(request), audit.readers);
  };

  app.get<{ Querystring: { anchor?: string } }>(
    '/api/audit/verify',
    {
      schema: {
        summary: 'Check the hash chain; names the first broken record',
        description: 'ok: false with `broken` when a record was edited, deleted or reordered',
        security: bearerSecurity,
        querystring: {
          type: 'object',
          properties: {
            anchor: { type: 'string', description: 'SEQ:HASH of a head noted earlier' },
          },
        },
        response: { 200: verifyReportSchema },
      },
      preHandler: reader,
    },
    async (request) => {
      const { anchor } = request.query;
      const options = anchor ? { anchor: parseAnchor(anchor) } : {};
      return readAudit(() => verifyChain(audit.store.db, options));
    },
  );

  app.get<{ Querystring: { format?: ExportFormat; since?: string; until?: string } }>(
    '/api/audit/export',
    {
      schema: {
        summary: 'The audit records in chain order, streamed as JSON Lines or CSV',
        security: bearerSecurity,
        querystring: exportQuerySchema,
        produces: [EXPORT_CONTENT_TYPE.jsonl, EXPORT_CONTENT_TYPE.csv],
      },
      preHandler: reader,
    },
    async (request, reply) => {
      const { format = 'jsonl', since, until } = request.query;
      const now = audit.clock.now();
      const range = {
        ...(since !== undefined && { since: parseTimeArg(since, now, 'since') }),
        ...(until !== undefined && { until: parseTimeArg(until, now, 'until') }),
      };
      const records = await readAudit(() => exportRecords(audit.store.db, { format, ...range }));
      const body = Readable.from(records);
      return reply
        .type(EXPORT_CONTENT_TYPE[format])
        .header('content-disposition', `attachment; filename="gatehouse-audit.${format}"`)
        .header('cache-control', 'no-store')
        .send(body);
    },
  );
}
