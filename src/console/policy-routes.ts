import type { FastifyInstance } from 'fastify';
import { bearerSecurity } from '../api/schemas.js';
import type { ConnectorConfig } from '../config/schema.js';
import { GatehouseError } from '../core/errors.js';
import type { PolicyTester } from '../policy/index.js';

interface PolicyTestBody {
  connector: string;
  subject: string;
  groups?: string[];
  agent?: boolean;
  command: string;
  database?: string;
}

const testBody = {
  type: 'object',
  required: ['connector', 'subject', 'command'],
  additionalProperties: false,
  properties: {
    connector: { type: 'string', minLength: 1 },
    subject: { type: 'string', minLength: 1, maxLength: 256 },
    groups: {
      type: 'array',
      maxItems: 64,
      items: { type: 'string', minLength: 1, maxLength: 256 },
    },
    agent: { type: 'boolean' },
    command: { type: 'string', minLength: 1, maxLength: 100_000 },
    database: { type: 'string', minLength: 1 },
  },
} as const;

/**
 * The policy tester (docs/policy.md, "Testing a policy"; same code as `gatehouse policy test`):
 * `GET /api/policy/connectors` lists what can be tested, `POST /api/policy/test` classifies a
 * command with the connector's real parser and explains the decision for the identity given.
 * Nothing runs.
 */
export function registerPolicyRoutes(
  app: FastifyInstance,
  connectors: () => ReadonlyArray<ConnectorConfig>,
  tester: PolicyTester,
  now: () => number,
): void {
  app.get(
    '/api/policy/connectors',
    { schema: { summary: 'Connectors the policy tester can evaluate', security: bearerSecurity } },
    async () =>
      connectors().map((c) => {
        const module = tester.moduleFor(c);
        return {
          name: c.name,
          type: c.type,
          database: module?.scope?.(c.target)['database'],
          testable: module !== undefined,
        };
      }),
  );

  app.post<{ Body: PolicyTestBody }>(
    '/api/policy/test',
    {
      schema: {
        summary: 'Explain the decision for a command and identity, without running it',
        security: bearerSecurity,
        body: testBody,
      },
    },
    async (request) => {
      const body = request.body;
      const connector = connectors().find((c) => c.name === body.connector);
      if (!connector) throw new GatehouseError('not_found', `no connector "${body.connector}"`);
      if (!tester.moduleFor(connector)) {
        throw new GatehouseError(
          'invalid_request',
          `connector "${connector.name}" is of type ${connector.type}, which the policy tester cannot classify`,
        );
      }
      const { command, explanation, at } = await tester.explain(connector, {
        subject: body.subject,
        groups: body.groups ?? [],
        agent: body.agent ?? false,
        text: body.command,
        scope: body.database === undefined ? undefined : { database: body.database },
        at: now(),
      });
      return {
        at: new Date(at).toISOString(),
        decision: {
          action: explanation.decision.action,
          rule: explanation.decision.rule,
          reason: explanation.decision.reason,
          review: explanation.decision.review,
          default: explanation.decision.rule === undefined ? connector.default : undefined,
        },
        classes: command.classes,
        attributes: command.attributes ?? {},
        unclassifiable: command.unclassifiable ?? false,
        database: command.target?.['database'],
        rules: explanation.evaluated,
      };
    },
  );
}
