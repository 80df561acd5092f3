/**
 * Test helpers other suites reuse: a PostgreSQL connector on an ephemeral port in front of a
 * real target, with a real Gate, an in-memory audit sink, a small stand-in policy and an
 * authenticator that verifies ES256 JWTs signed by a key generated for the test. The connector
 * alone, without the composition root: for a whole gateway from YAML see `gateway.ts`.
 */
import type { ClientConfig } from 'pg';
import { pino } from 'pino';
import type { ConnectorConfig, SecretRef } from '../../src/config/schema.js';
import {
  createPostgresConnector,
  type PostgresConnectorOptions,
} from '../../src/connectors/postgres/postgres-connector.js';
import { postgresConfig } from '../../src/connectors/postgres/target/config.js';
import type { ApprovalHold } from '../../src/core/approval-hold.js';
import type { AuditSink, CommandRecord, SessionRecord } from '../../src/core/audit-sink.js';
import { systemClock } from '../../src/core/clock.js';
import type { CommandOutcome } from '../../src/core/command.js';
import type { Connector, ListenerTls } from '../../src/core/connector.js';
import type { Decision, DecisionContext, PolicyDecider } from '../../src/core/decision.js';
import { Gate } from '../../src/core/gate.js';
import { GateMetrics } from '../../src/core/metrics.js';
import { createTestIssuer, type TestIssuer } from './test-issuer.js';

export { createTestIssuer, type TestIssuer, type TestTokenClaims } from './test-issuer.js';

/** Records everything the gate writes, in memory. */
export class MemoryAuditSink implements AuditSink {
  readonly sessions: SessionRecord[] = [];
  readonly commands: CommandRecord[] = [];
  readonly outcomes: Array<{ sessionId: string; seq: number; outcome: CommandOutcome }> = [];
  readonly ended: Array<{ sessionId: string; reason: string }> = [];

  async sessionStarted(session: SessionRecord): Promise<void> {
    this.sessions.push(session);
  }
  async commandDecided(record: CommandRecord): Promise<void> {
    this.commands.push(record);
  }
  commandCompleted(sessionId: string, seq: number, outcome: CommandOutcome): void {
    this.outcomes.push({ sessionId, seq, outcome });
  }
  async sessionEnded(sessionId: string, reason: string): Promise<void> {
    this.ended.push({ sessionId, reason });
  }
}

/**
 * Stand-in policy for connector tests: rules match on `statement` classes, `where: absent` and
 * `groups`; deny > review > allow; the connector default otherwise. The real evaluator lives in
 * src/policy.
 */
export class TestPolicy implements PolicyDecider {
  decide({ connector, identity, command }: DecisionContext): Decision {
    const rank = { allow: 0, review: 1, deny: 2 } as const;
    let best: Decision | undefined;
    for (const rule of connector.rules) {
      const { statement, where, groups } = rule.when as {
        statement?: string[];
        where?: string;
        groups?: string[];
      };
      if (statement && !statement.some((c) => command.classes.includes(c))) continue;
      if (where === 'absent' && command.attributes?.['where'] !== 'absent') continue;
      if (groups && !groups.some((g) => identity.groups.includes(g))) continue;
      if (!best || rank[rule.action] > rank[best.action]) {
        best = { action: rule.action, rule: rule.name, reason: rule.reason ?? `rule ${rule.name}` };
      }
    }
    return best ?? { action: connector.default, reason: 'connector default' };
  }
}

export interface TestConnectorOptions {
  /** Overrides of the connector config; defaults: target 127.0.0.1:5432 as postgres, access `*`. */
  connector?: Partial<ConnectorConfig>;
  /** Listener TLS material; `true` generates a self-signed certificate for 127.0.0.1/localhost. */
  tls?: boolean | ListenerTls;
  policy?: PolicyDecider;
  /** Audit sink (default a fresh MemoryAuditSink). */
  audit?: MemoryAuditSink;
  /** Values for `{env: NAME}` secret references (looked up before process.env). */
  secrets?: Record<string, string>;
  connectorOptions?: PostgresConnectorOptions;
  /** Holds commands a `review` rule decides (default: none, so review is refused). */
  approvals?: ApprovalHold;
}

export interface TestConnector extends AsyncDisposable {
  readonly host: string;
  readonly port: number;
  readonly connector: Connector;
  readonly gate: Gate;
  readonly audit: MemoryAuditSink;
  readonly issuer: TestIssuer;
  /** PEM certificate of the listener when TLS is on (use as the client's CA). */
  readonly ca?: string;
  /** Mints a token: default subject `alice`, groups `[dev]`. */
  token(claims?: import('./test-issuer.js').TestTokenClaims): Promise<string>;
  /** `pg` client settings for this gateway with the given token as password. */
  pgConfig(token: string, extra?: ClientConfig): ClientConfig;
  stop(): Promise<void>;
}

/** Starts a connector on 127.0.0.1:0 (unless overridden) in front of the machine's PostgreSQL. */
export async function startTestConnector(
  options: TestConnectorOptions = {},
): Promise<TestConnector> {
  const config: ConnectorConfig = {
    name: 'pg-test',
    type: 'postgres',
    listen: { host: '127.0.0.1', port: 0 },
    target: {
      host: '127.0.0.1',
      port: 5432,
      user: 'postgres',
      database: 'postgres',
      tls: 'disable',
    },
    access: { groups: ['*'] },
    default: 'allow',
    rules: [],
    masking: [],
    ...options.connector,
  };
  const logger = pino({ level: process.env['GATEHOUSE_TEST_LOG'] ?? 'silent' });
  const audit = options.audit ?? new MemoryAuditSink();
  const gate = new Gate({
    audit,
    policy: options.policy ?? new TestPolicy(),
    clock: systemClock,
    logger,
    metrics: new GateMetrics(),
    connectors: [config],
    ...(options.approvals && { approvals: options.approvals }),
  });
  const issuer = await createTestIssuer();
  const tls = options.tls === true ? await selfSignedTls() : options.tls || undefined;
  const secret = (ref: SecretRef) => {
    const value = 'env' in ref ? (options.secrets?.[ref.env] ?? process.env[ref.env]) : undefined;
    if (value === undefined) throw new TypeError('secret not available in test');
    return value;
  };
  const connector = createPostgresConnector(
    {
      config,
      gate,
      authenticator: issuer.authenticator,
      logger,
      secret,
      tls,
      publicUrl: 'http://127.0.0.1',
    },
    options.connectorOptions,
  );
  await connector.start();
  const { host, port } = connector.address();
  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= connector.stop(1_000);
    return stopped;
  };
  return {
    host,
    port,
    connector,
    gate,
    audit,
    issuer,
    ca: tls?.cert,
    token: (claims) => issuer.mint(claims),
    pgConfig: (token, extra) => ({
      host,
      port,
      user: 'gatehouse',
      database: postgresConfig(config).target.database,
      password: token,
      ...extra,
    }),
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

/** A self-signed certificate for 127.0.0.1 and localhost. */
export async function selfSignedTls(): Promise<ListenerTls> {
  const { generate } = await import('selfsigned');
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    extensions: [
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
        ],
      },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}
