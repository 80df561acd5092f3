import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { type Logger, pino } from 'pino';
import { stringify } from 'yaml';
import { getSession, listSessions } from '../../src/audit/read/session-queries.js';
import type { StoredCommand } from '../../src/audit/record/records.js';
import { parseConfig } from '../../src/connectors/registry.js';
import { DevIssuer } from '../../src/identity/index.js';
import { type RunningGateway, type StartOptions, startGateway } from '../../src/server/gateway.js';
import { LOCAL_POSTGRES } from './services.js';

/** Who a test token speaks for. */
export interface TokenClaims {
  groups?: string[];
  agent?: boolean;
}

export interface TestGatewayOptions {
  /** Database on the target server the connector forwards to. */
  database: string;
  /** Connector name (default `pg`). */
  connector?: string;
  /** Target server (default the machine's PostgreSQL as `postgres`, trust auth). */
  target?: {
    host?: string;
    port?: number;
    user?: string;
    password?: { env: string } | { file: string };
  };
  /** Who may connect (default every verified identity: `groups: ['*']`). */
  access?: { groups?: string[]; subjects?: string[] };
  /** The connector's `default` action (default `allow`). */
  default?: 'allow' | 'deny' | 'review';
  /** The connector's `rules`, written as in YAML. */
  rules?: unknown[];
  /** `sqlite` (default, in the temp dir) or a `postgres://…` store URL. */
  store?: string;
  /** Last word on the config object before it is written as YAML (audit, masking, reviews…). */
  configure?: (config: Record<string, unknown>) => void;
  /** Defaults to a silent logger; set GATEHOUSE_TEST_LOG=debug to see the gateway's logs. */
  logger?: Logger;
  /** How often the gateway looks for a newer central policy version (default: the gateway's). */
  policyPollMs?: number;
}

export interface TestGateway extends AsyncDisposable {
  readonly gateway: RunningGateway;
  readonly host: string;
  /** The postgres connector's bound port. */
  readonly port: number;
  readonly database: string;
  /** The YAML the config was parsed from, for failure messages. */
  readonly configText: string;
  /** That YAML as a file (for CLI commands that take `-c`). */
  readonly configFile: string;
  /** A dev-issuer token accepted by this gateway. */
  token(subject: string, claims?: TokenClaims): Promise<string>;
  /** pg client settings for connecting through the gateway as `subject`. */
  clientConfig(subject: string, claims?: TokenClaims): Promise<pg.ClientConfig>;
  /** Stops the gateway and removes its temp dir. Idempotent. */
  close(): Promise<void>;
}

/**
 * Starts a real gateway (composition root, real store, dev issuer, one postgres connector on
 * 127.0.0.1:0) from YAML validated exactly like a user's file.
 */
export async function startTestGateway(options: TestGatewayOptions): Promise<TestGateway> {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-test-'));
  const keyFile = join(dir, 'dev-issuer.key');
  const connector = options.connector ?? 'pg';
  const raw: Record<string, unknown> = {
    server: { api: { listen: '127.0.0.1:0' } },
    store: { url: options.store ?? `sqlite:${join(dir, 'gatehouse.db')}` },
    identity: { issuers: [{ name: 'dev', dev: true, key_file: keyFile }] },
    connectors: [
      {
        name: connector,
        type: 'postgres',
        listen: '127.0.0.1:0',
        target: {
          host: options.target?.host ?? LOCAL_POSTGRES.host,
          port: options.target?.port ?? LOCAL_POSTGRES.port,
          database: options.database,
          user: options.target?.user ?? LOCAL_POSTGRES.user,
          ...(options.target?.password ? { password: options.target.password } : {}),
        },
        access: options.access ?? { groups: ['*'] },
        default: options.default ?? 'allow',
        rules: options.rules ?? [],
      },
    ],
  };
  options.configure?.(raw);
  const configText = stringify(raw);
  const configFile = join(dir, 'gatehouse.yaml');
  await writeFile(configFile, configText);
  const logger = options.logger ?? pino({ level: process.env['GATEHOUSE_TEST_LOG'] ?? 'silent' });

  let gateway: RunningGateway;
  let issuer: DevIssuer;
  try {
    const config = parseConfig(configText, configFile);
    const devConfig = config.identity.issuers.find((i) => i.dev);
    if (!devConfig) throw new TypeError('the test config lost its dev issuer');
    // Loaded first so the key file exists before the gateway reads it: both sign/verify alike.
    issuer = await DevIssuer.load(devConfig);
    const start: StartOptions = { logger, drainMs: 2000, policyPollMs: options.policyPollMs };
    gateway = await startGateway(config, start);
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  const listener = gateway.connectors.find((c) => c.name === connector);
  if (!listener) throw new Error(`connector ${connector} did not start`);
  const { host, port } = listener.address();

  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= gateway.close().finally(() => rm(dir, { recursive: true, force: true }));
    return closed;
  };
  const token = (subject: string, claims: TokenClaims = {}) => issuer.mint(subject, claims);
  return {
    gateway,
    host,
    port,
    database: options.database,
    configText,
    configFile,
    token,
    async clientConfig(subject, claims) {
      return {
        host,
        port,
        user: subject,
        database: options.database,
        password: await token(subject, claims),
      };
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** The commands of `subject`'s (first listed) session once every one has its outcome recorded. */
export async function completedCommands(
  gateway: RunningGateway,
  subject: string,
): Promise<StoredCommand[]> {
  for (let i = 0; i < 100; i++) {
    const [stored] = await listSessions(gateway.store, { subject });
    const full = stored && (await getSession(gateway.store, stored.id));
    if (full?.commands.length && full.commands.every((c) => c.outcome)) return full.commands;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`the commands of ${subject} never completed`);
}
