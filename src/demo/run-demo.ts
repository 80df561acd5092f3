import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { basename, join, relative, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { createLogger } from '../core/logger.js';
import { DevIssuer } from '../identity/index.js';
import { type RunningGateway, startGateway } from '../server/gateway.js';
import { demoBanner } from './demo-banner.js';
import {
  DEMO_API_LISTEN,
  DEMO_CONNECTOR,
  DEMO_PG_LISTEN,
  demoConfig,
  demoConfigYaml,
} from './demo-config.js';
import { type DemoTarget, startDemoTarget } from './demo-target.js';
import { acquireDirLock } from './dir-lock.js';

export interface DemoOptions {
  /** Store, dev issuer key, demo data and the written config live here (default `./.gatehouse`). */
  stateDir?: string;
  /** API/console listen address (default `127.0.0.1:8080`; `127.0.0.1:0` for any port). */
  apiListen?: string;
  /** Postgres connector listen address (default `127.0.0.1:15432`). */
  pgListen?: string;
  /** Keep the demo database in memory instead of `<stateDir>/demo-pgdata`. */
  inMemory?: boolean;
  /** Start over: fresh demo data and an empty store (the dev key is kept). */
  reset?: boolean;
  logger?: Logger;
  /** Where the banner goes (default stdout). */
  print?: (text: string) => void;
  /** How printed commands invoke the CLI (default: how this process was started). */
  cli?: string;
}

export interface RunningDemo {
  readonly gateway: RunningGateway;
  readonly target: DemoTarget;
  readonly config: Config;
  /** The demo config as written to disk, for `-c` in other CLI commands. */
  readonly configFile: string;
  readonly issuer: DevIssuer;
  /** The agent token the banner printed, and whose it is. */
  readonly token: string;
  readonly subject: string;
  /** Where clients connect (the connector's bound address). */
  readonly pg: { host: string; port: number; database: string };
  readonly banner: string;
  /** Stops the gateway, then the embedded database. Idempotent. */
  close(): Promise<void>;
}

const SUBJECT = 'agent-1';
const TOKEN_HOURS = 8;

/**
 * `gatehouse demo`: embedded PostgreSQL with sample data, the gateway in front of it with the
 * demo config, a freshly minted agent token, and a banner saying what to type.
 */
export async function runDemo(options: DemoOptions = {}): Promise<RunningDemo> {
  const logger = options.logger ?? createLogger(process.env['GATEHOUSE_LOG_LEVEL'] ?? 'warn');
  const stateDir = resolve(options.stateDir ?? '.gatehouse');
  const dataDir = options.inMemory ? undefined : join(stateDir, 'demo-pgdata');
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  if (options.reset) await resetState(stateDir, dataDir);

  const target = await startDemoTarget({ dataDir, logger });
  try {
    const configOptions = {
      target,
      stateDir,
      apiListen: options.apiListen ?? DEMO_API_LISTEN,
      pgListen: options.pgListen ?? DEMO_PG_LISTEN,
    };
    const config = demoConfig(configOptions);
    const configFile = join(stateDir, 'demo.yaml');
    await writeFile(configFile, demoConfigYaml(configOptions), { mode: 0o600 });
    // Loaded before the gateway so the key file exists once, shared by both.
    const issuer = await DevIssuer.load(config.identity.issuers.find((i) => i.dev)!, { logger });
    const gateway = await startGateway(config, { logger, drainMs: 2000 }).catch((err: unknown) => {
      throw friendlyListenError(err);
    });
    const connector = gateway.connectors.find((c) => c.name === DEMO_CONNECTOR)!;
    const { host, port } = connector.address();
    const pg = { host, port, database: target.database };
    // Ports asked as 0 are known only now: the file the CLI reads must name the bound ones.
    const apiBound = new URL(gateway.apiUrl).host;
    await writeFile(
      configFile,
      demoConfigYaml({ ...configOptions, apiListen: apiBound, pgListen: `${host}:${port}` }),
      { mode: 0o600 },
    );
    const token = await issuer.mint(SUBJECT, {
      groups: ['agents'],
      agent: true,
      name: 'Demo agent',
      ttlSeconds: TOKEN_HOURS * 3600,
    });
    const banner = demoBanner({
      consoleUrl: gateway.publicUrl,
      pg,
      connector: DEMO_CONNECTOR,
      subject: SUBJECT,
      token,
      tokenHours: TOKEN_HOURS,
      cli: options.cli ?? cliInvocation(),
      configFlag: needsConfigFlag(options, stateDir) ? `-c ${shortPath(configFile)}` : '',
    });
    (options.print ?? ((text) => process.stdout.write(text)))(banner);
    let closing: Promise<void> | undefined;
    return {
      gateway,
      target,
      config,
      configFile,
      issuer,
      token,
      subject: SUBJECT,
      pg,
      banner,
      close() {
        closing ??= gateway.close().finally(() => target.close());
        return closing;
      },
    };
  } catch (err) {
    await target.close();
    throw err;
  }
}

async function resetState(stateDir: string, dataDir: string | undefined): Promise<void> {
  if (dataDir) {
    // Refuses (throws) while another demo holds the data dir.
    await (await acquireDirLock(dataDir)).release();
    await rm(dataDir, { recursive: true, force: true });
  }
  for (const suffix of ['', '-wal', '-shm', '-journal']) {
    await rm(join(stateDir, `demo.db${suffix}`), { force: true });
  }
}

/**
 * `gatehouse token` and `gatehouse approvals` find the demo by their defaults (dev key under
 * ./.gatehouse, API on 127.0.0.1:8080) unless the demo moved or ./gatehouse.yaml says otherwise.
 */
function needsConfigFlag(options: DemoOptions, stateDir: string): boolean {
  return (
    stateDir !== resolve('.gatehouse') ||
    (options.apiListen ?? DEMO_API_LISTEN) !== DEMO_API_LISTEN ||
    existsSync('gatehouse.yaml')
  );
}

/** `gatehouse` when run through the bin, else `node <script>` as typed from this directory. */
function cliInvocation(): string {
  const script = process.argv[1];
  if (!script || basename(script) === 'gatehouse') return 'gatehouse';
  return `node ${shortPath(script)}`;
}

function shortPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') ? rel : path;
}

function friendlyListenError(err: unknown): unknown {
  const e = err as NodeJS.ErrnoException & { address?: string; port?: number };
  if (e?.code !== 'EADDRINUSE') return err;
  return new Error(
    `${e.address ?? 'an address'}:${e.port ?? '?'} is already in use (another gatehouse demo?); ` +
      'pick free ones with --api-listen and --pg-listen',
    { cause: err },
  );
}
