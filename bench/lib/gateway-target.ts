import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout } from 'node:timers/promises';
import { stringify } from 'yaml';
import type { AuditSink } from '../../src/core/audit-sink.js';
import { processCpuMicros } from './node-relay.js';
import { runPgbench } from './pgbench.js';
import type { Scenario } from './scenarios.js';
import {
  type Endpoint,
  type RunningTarget,
  type TargetFactory,
  TargetUnavailable,
  type Upstream,
} from './targets.js';

const SUBJECT = 'bench';

/**
 * Gatehouse in this process: the real composition root, a dev issuer and a SQLite store in a
 * temp dir, one postgres connector on a free loopback port forwarding to the upstream. pgbench
 * sends a freshly minted dev token as its password. The scenario may adjust the config.
 */
export const gatewayTarget: TargetFactory = (upstream, scenario) =>
  startGatewayTarget('gateway', upstream, scenario);

/**
 * Diagnostic, not a configuration: the same gateway with command records discarded (sessions
 * are still recorded), so the run shows what the connector and gate cost on their own and how
 * much of the gateway's cost is recording every command.
 */
export const unrecordedGatewayTarget: TargetFactory = (upstream, scenario) =>
  startGatewayTarget('gateway-unrecorded', upstream, scenario, (sink) => ({
    sessionStarted: (session) => sink.sessionStarted(session),
    sessionEnded: (id, reason, at) => sink.sessionEnded(id, reason, at),
    commandDecided: () => Promise.resolve(),
    commandCompleted: () => {},
  }));

async function startGatewayTarget(
  label: string,
  upstream: Upstream,
  scenario: Scenario,
  wrapAuditSink?: (sink: AuditSink) => AuditSink,
): Promise<RunningTarget> {
  // Loaded lazily so the baselines still run when the gateway cannot be loaded.
  let modules: Awaited<ReturnType<typeof loadGateway>>;
  try {
    modules = await loadGateway();
  } catch (err) {
    throw new TargetUnavailable(`the gateway could not be loaded: ${(err as Error).message}`);
  }
  const { parseConfig, DevIssuer, startGateway, pino } = modules;
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-bench-gateway-'));
  const raw: Record<string, unknown> = {
    server: { api: { listen: '127.0.0.1:0' } },
    store: { url: `sqlite:${join(dir, 'gatehouse.db')}` },
    identity: { issuers: [{ name: 'dev', dev: true, key_file: join(dir, 'dev-issuer-key.json') }] },
    connectors: [
      {
        name: 'bench',
        type: 'postgres',
        listen: '127.0.0.1:0',
        target: {
          host: upstream.host,
          port: upstream.port,
          database: upstream.database,
          user: upstream.user,
        },
        access: { groups: ['bench'] },
        default: 'allow',
      },
    ],
  };
  scenario.configureGateway?.(raw);
  try {
    const config = parseConfig(stringify(raw), join(dir, 'gatehouse.yaml'));
    const devConfig = config.identity.issuers.find((issuer) => issuer.dev)!;
    const issuer = await DevIssuer.load(devConfig);
    const logger = pino(
      { level: process.env['GATEHOUSE_LOG_LEVEL'] ?? 'warn' },
      pino.destination(2),
    );
    const gateway = await startGateway(config, { logger, drainMs: 1000, wrapAuditSink });
    const { host, port } = gateway.connectors[0]!.address();
    const password = await issuer.mint(SUBJECT, {
      groups: ['bench'],
      agent: true,
      ttlSeconds: 24 * 3600,
    });
    const endpoint = {
      label,
      host,
      port,
      user: SUBJECT,
      database: upstream.database,
      password,
    };
    try {
      await warmUp(endpoint, scenario);
    } catch (err) {
      await gateway.close();
      throw err;
    }
    return {
      endpoint,
      // The gateway runs in this process, which does nothing else while pgbench runs.
      cpuMicros: processCpuMicros,
      auditCommits: () => {
        const { commits, records } = gateway.auditStats();
        return { commits, records };
      },
      close: async () => {
        await gateway.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

/**
 * V8 compiles the SQL parser's WebAssembly with its optimising tier in the background once it
 * gets hot: about 3 s of CPU on another core, a few seconds after the first statements. Left to
 * happen during measured rounds, it takes CPU from PostgreSQL and pgbench, so the gateway is
 * driven until this process is idle again before anything is measured.
 */
async function warmUp(endpoint: Endpoint, scenario: Scenario): Promise<void> {
  for (const mode of ['simple', 'extended'] as const) {
    await runPgbench({ endpoint, script: scenario.script, mode, clients: 2, seconds: 2 });
  }
  const deadline = Date.now() + 20_000;
  for (let before = processCpuMicros(); Date.now() < deadline; ) {
    await setTimeout(500);
    const now = processCpuMicros();
    if (now - before < 50_000) return; // under 10% of a core
    before = now;
  }
}

async function loadGateway() {
  const [{ parseConfig }, { DevIssuer }, { startGateway }, { pino }] = await Promise.all([
    import('../../src/connectors/registry.js'),
    import('../../src/identity/index.js'),
    import('../../src/server/gateway.js'),
    import('pino'),
  ]);
  return { parseConfig, DevIssuer, startGateway, pino };
}
