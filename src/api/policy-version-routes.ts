import type { FastifyInstance } from 'fastify';
import type { Ticket } from '../approvals/ticket.js';
import type { ConfigIssue } from '../config/config-error.js';
import type { Clock } from '../core/clock.js';
import { GatehouseError } from '../core/errors.js';
import type { Identity } from '../core/identity.js';
import { identityOf } from './bearer-auth.js';
import { bearerSecurity } from './schemas.js';
import { ticketView } from './ticket-view.js';

/** One central policy version as the API reads it. */
export interface PolicyVersionRecord {
  version: number;
  createdAt: number;
  author: { issuer: string; subject: string; name?: string };
  reason?: string;
  ticketId?: string;
  /** sha256 (hex) of the document. */
  digest: string;
  /** The YAML document (`connectors:` with name, default, rules, masking). */
  document: string;
}

/** What a submitted document (or rollback) came to. */
export type PolicySubmitOutcome =
  /** In force; `changed: false` when the document equals the current version (nothing written). */
  | { kind: 'applied'; version: PolicyVersionRecord; changed: boolean }
  /** Waiting for review; submit the identical request again to pick up the decision. */
  | { kind: 'held'; ticket: Ticket }
  /** Refused: every problem by key path and line in the document. */
  | { kind: 'invalid'; issues: ReadonlyArray<ConfigIssue> };

/**
 * Central, versioned policy (docs/policy.md, "Central policy"), implemented by the composition
 * root (src/server/central-policy). Each method checks the caller may do it (access_denied).
 * A denied review throws policy_denied.
 */
export interface CentralPolicyApi {
  current(caller: Identity): Promise<PolicyVersionRecord | undefined>;
  versions(caller: Identity): Promise<PolicyVersionRecord[]>;
  version(caller: Identity, version: number): Promise<PolicyVersionRecord | undefined>;
  apply(
    caller: Identity,
    input: { document: string; reason?: string },
  ): Promise<PolicySubmitOutcome>;
  rollback(
    caller: Identity,
    input: { version: number; reason?: string },
  ): Promise<PolicySubmitOutcome>;
}

const versionProperties = {
  version: { type: 'integer' },
  createdAt: { type: 'string', format: 'date-time' },
  author: {
    type: 'object',
    properties: {
      issuer: { type: 'string' },
      subject: { type: 'string' },
      name: { type: 'string' },
    },
  },
  reason: { type: 'string' },
  ticketId: { type: 'string' },
  digest: { type: 'string', description: 'sha256 (hex) of the document' },
} as const;

const versionSchema = {
  type: 'object',
  properties: {
    ...versionProperties,
    document: { type: 'string', description: 'the YAML document' },
  },
} as const;

const versionSummarySchema = { type: 'object', properties: versionProperties } as const;

const issuesSchema = {
  type: 'object',
  properties: {
    error: { type: 'string' },
    message: { type: 'string' },
    issues: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          path: { type: 'string', description: 'key path, e.g. connectors[0].rules[1].action' },
          line: { type: 'integer' },
          column: { type: 'integer' },
          message: { type: 'string' },
        },
      },
    },
  },
} as const;

const appliedSchema = {
  type: 'object',
  properties: { changed: { type: 'boolean' }, version: versionSchema },
} as const;

const heldSchema = {
  type: 'object',
  properties: { status: { type: 'string', enum: ['pending'] }, ticket: { $ref: 'Ticket#' } },
} as const;

const submitResponses = {
  200: {
    description: 'the document equals the current version: nothing changed',
    ...appliedSchema,
  },
  201: { description: 'a new version, in force', ...appliedSchema },
  202: { description: 'held for review: send the identical request again', ...heldSchema },
  400: { description: 'the document is invalid', ...issuesSchema },
  403: { $ref: 'Error#' },
} as const;

/**
 * `/api/policy…`: the current version, history, one version, apply, rollback. Policy test
 * routes (`/api/policy/test`, `/api/policy/connectors`) belong to the console.
 */
export function registerPolicyVersionRoutes(
  app: FastifyInstance,
  policy: CentralPolicyApi,
  clock: Clock,
  ticketUrl: (id: string) => string,
): void {
  const view = (record: PolicyVersionRecord, withDocument = true) => ({
    version: record.version,
    createdAt: new Date(record.createdAt).toISOString(),
    author: record.author,
    reason: record.reason,
    ticketId: record.ticketId,
    digest: record.digest,
    document: withDocument ? record.document : undefined,
  });

  app.get(
    '/api/policy',
    {
      schema: {
        summary: 'The central policy version in force, with its document',
        security: bearerSecurity,
        response: { 200: versionSchema, 404: { $ref: 'Error#' } },
      },
    },
    async (request) => {
      const current = await policy.current(identityOf(request));
      if (!current) {
        throw new GatehouseError(
          'not_found',
          'no central policy version: the YAML config is in force',
        );
      }
      return view(current);
    },
  );

  app.get(
    '/api/policy/versions',
    {
      schema: {
        summary: 'Every central policy version, newest first (without documents)',
        security: bearerSecurity,
        response: { 200: { type: 'array', items: versionSummarySchema } },
      },
    },
    async (request) =>
      (await policy.versions(identityOf(request))).map((record) => view(record, false)),
  );

  app.get<{ Params: { version: number } }>(
    '/api/policy/versions/:version',
    {
      schema: {
        summary: 'One central policy version, with its document',
        security: bearerSecurity,
        params: {
          type: 'object',
          properties: { version: { type: 'integer', minimum: 1 } },
          required: ['version'],
        },
        response: { 200: versionSchema, 404: { $ref: 'Error#' } },
      },
    },
    async (request) => {
      const record = await policy.version(identityOf(request), request.params.version);
      if (!record)
        throw new GatehouseError('not_found', `no policy version ${request.params.version}`);
      return view(record);
    },
  );

  const answer = (
    outcome: PolicySubmitOutcome,
    request: Parameters<typeof identityOf>[0],
    reply: import('fastify').FastifyReply,
  ) => {
    switch (outcome.kind) {
      case 'applied':
        return reply
          .code(outcome.changed ? 201 : 200)
          .send({ changed: outcome.changed, version: view(outcome.version) });
      case 'held':
        return reply.code(202).send({
          status: 'pending',
          ticket: ticketView(
            outcome.ticket,
            identityOf(request),
            clock.now(),
            ticketUrl(outcome.ticket.id),
          ),
        });
      case 'invalid':
        return reply.code(400).send({
          error: 'invalid_request',
          message: `the policy document is invalid (${outcome.issues.length} error${outcome.issues.length === 1 ? '' : 's'})`,
          issues: outcome.issues,
        });
    }
  };

  app.post<{ Body: { document: string | Record<string, unknown>; reason?: string } }>(
    '/api/policy',
    {
      schema: {
        summary:
          'Apply a new central policy version (a config file or excerpt: connectors[].name/default/rules/masking)',
        security: bearerSecurity,
        body: {
          type: 'object',
          required: ['document'],
          additionalProperties: false,
          properties: {
            document: {
              anyOf: [{ type: 'string' }, { type: 'object' }],
              description: 'the YAML text (or the same as a JSON object)',
            },
            reason: { type: 'string', maxLength: 4000 },
          },
        },
        response: submitResponses,
      },
    },
    async (request, reply) => {
      const { document, reason } = request.body;
      const text = typeof document === 'string' ? document : JSON.stringify(document);
      if (text.length > 1_000_000)
        throw new GatehouseError('invalid_request', 'the document is larger than 1 MB');
      const outcome = await policy.apply(identityOf(request), { document: text, reason });
      return answer(outcome, request, reply);
    },
  );

  app.post<{ Body: { version: number; reason?: string } }>(
    '/api/policy/rollback',
    {
      schema: {
        summary: "Apply an earlier version's document again, as a new version",
        security: bearerSecurity,
        body: {
          type: 'object',
          required: ['version'],
          additionalProperties: false,
          properties: {
            version: { type: 'integer', minimum: 1 },
            reason: { type: 'string', maxLength: 4000 },
          },
        },
        response: { ...submitResponses, 404: { $ref: 'Error#' } },
      },
    },
    async (request, reply) => {
      const outcome = await policy.rollback(identityOf(request), request.body);
      return answer(outcome, request, reply);
    },
  );
}
