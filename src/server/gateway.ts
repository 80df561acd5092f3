import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { Gauge } from 'prom-client';
import { buildApi, listenApi } from '../api/api-server.js';
import type { AuditSinkStats } from '../audit/record/store-audit-sink.js';
import { startAudit } from '../audit/start-audit.js';
import { overlayPolicy, splitKeyPath } from '../config/policy-document.js';
import type { Config, ConnectorConfig, ConnectorPolicy } from '../config/schema.js';
import { CONNECTOR_MODULES, connectorModule } from '../connectors/registry.js';
import { consoleSessionToken, registerConsole } from '../console/index.js';
import type { AuditSink } from '../core/audit-sink.js';
import { systemClock } from '../core/clock.js';
import type { Connector, ListenerTls } from '../core/connector.js';
import { Gate } from '../core/gate.js';
import type { Authenticator } from '../core/identity.js';
import { createLogger } from '../core/logger.js';
import { GateMetrics } from '../core/metrics.js';
import { createAuthenticator } from '../identity/index.js';
import { compileMasking, MaskingConfigError, type MaskingPlan } from '../masking/index.js';
import { createPolicy, createPolicyTester, policyIssues } from '../policy/index.js';
import { resolveSecret } from '../secrets/index.js';
import { openStore, type Store, storeKeyStore } from '../store/index.js';
import { startApprovals } from './approvals-wiring.js';
import { CentralPolicy } from './central-policy/central-policy.js';

export interface StartOptions {
  logger?: Logger;
  /** How long `close()` lets client sessions finish before cutting them. */
  drainMs?: number;
  /**
   * Wraps the audit sink the gate records through. For measurement only (bench/ runs a
   * diagnostic gateway that discards command records, to show what recording costs); no config
   * reaches it.
   */
  wrapAuditSink?: (sink: AuditSink) => AuditSink;
  /** How often each replica looks for a newer central policy version besides NOTIFY (10 s). */
  policyPollMs?: number;
}

export interface RunningGateway {
  readonly connectors: ReadonlyArray<Connector>;
  readonly apiUrl: string;
  readonly publicUrl: string;
  readonly gate: Gate;
  readonly store: Store;
  readonly authenticator: Authenticator;
  /** The audit sink's commit counters: transactions, records, batch sizes, queue, health. */
  auditStats(): AuditSinkStats;
  /**
   * Applies a new config's policy (rules, defaults, access) to live sessions; the newest central
   * policy version stays on top of it.
   */
  reload(config: Config): void;
  /** The central policy version in force on this replica (0: none, the YAML alone). */
  policyVersion(): number;
  /** Stops accepting, drains sessions, closes the store. Idempotent. */
  close(): Promise<void>;
}

/**
 * The composition root: the only code that wires store, identity, policy, the gate and the
 * connectors together. Either everything starts or nothing is left running.
 */
export async function startGateway(
  config: Config,
  options: StartOptions = {},
): Promise<RunningGateway> {
  const logger = options.logger ?? createLogger();
  const factories = config.connectors.map((c) => connectorModule(c.type).create);
  const tls = readListenerTls(config);
  // Swapped whole on reload; connectors hold a stable view that reads the current plans.
  let masking = compileConnectorMasking(config);
  const maskingOf = (connector: string): MaskingPlan => ({
    forIdentity: (groups) => (masking.get(connector) ?? NO_MASKING).forIdentity(groups),
  });
  const cleanup: Array<() => Promise<void>> = [];
  const undo = async () => {
    for (const step of cleanup.reverse())
      await step().catch((err) => logger.error({ err }, 'cleanup failed'));
  };

  try {
    const store = await openStore(config.store.url, {
      logger,
      synchronous: config.store.sqlite_synchronous,
    });
    cleanup.push(() => store.close());
    const metrics = new GateMetrics();
    const audit = startAudit(config, store, {
      logger,
      clock: systemClock,
      onCommit: (commit) => metrics.auditCommitted(commit),
    });
    cleanup.push(() => audit.close());
    const authenticator = await createAuthenticator(config.identity.issuers, {
      secret: resolveSecret,
      logger,
    });
    const clock = systemClock;

    let accepting = true;
    let live = config;
    // The YAML config in force (SIGHUP swaps it); `live` adds the central policy version on top.
    let yaml = config;
    let apiUrl = '';
    const publicUrl = () => config.server.api.public_url ?? apiUrl;
    const approvals = await startApprovals(config, store, {
      logger,
      clock,
      publicUrl,
      // Notifications go to reviewers' channels: every rule of the connector applies.
      maskText: (text, connector) =>
        masking.get(connector)?.forIdentity([]).plan.maskText(text) ?? text,
    });
    cleanup.push(() => approvals.close());
    metrics.countTicketsOnScrape(approvals.countTickets);
    const gate = new Gate({
      audit: options.wrapAuditSink ? options.wrapAuditSink(audit.sink) : audit.sink,
      capture: audit.capture,
      policy: createPolicy(CONNECTOR_MODULES),
      clock,
      logger,
      metrics,
      connectors: config.connectors,
      approvals: approvals.service,
    });

    const enforce = (next: Config) => {
      // Compiled first: invalid masking leaves the running config in force.
      const nextMasking = compileConnectorMasking(next);
      gate.updateConnectors(next.connectors);
      masking = nextMasking;
      live = next;
    };
    const central = await CentralPolicy.start({
      store,
      approvals: approvals.service,
      modules: CONNECTOR_MODULES,
      logger,
      clock,
      config: () => yaml,
      enforce: (policy) => {
        enforce(overlayPolicy(yaml, policy));
        logger.info('policy reloaded');
      },
      check: (policy, connector) => policyProblems(yaml, policy, connector),
      pollMs: options.policyPollMs,
    });
    cleanup.push(() => central.close());
    new Gauge({
      name: 'gatehouse_policy_version',
      help: 'The central policy version this replica enforces (0: the YAML config alone)',
      registers: [metrics.registry],
      collect() {
        this.set(central.enforcedVersion);
      },
    });

    const keys = storeKeyStore(store);
    const started: Connector[] = [];
    const api = await buildApi({
      logger,
      metrics,
      authenticator,
      approvals: approvals.service,
      clock,
      audit: audit.api,
      policy: central,
      pingStore: () =>
        store.ping().catch((err: unknown) => {
          metrics.storeErrorsTotal.inc({ operation: 'readiness' });
          throw err;
        }),
      accepting: () => accepting,
      sessionToken: consoleSessionToken,
      ssh: {
        keys,
        clock,
        // The listeners as bound (a config may say port 0).
        sshListeners: () =>
          started
            .filter((c) => c.type === 'ssh')
            .map((c) => ({
              name: c.name,
              ...c.address(),
              logins: loginsOf(live.connectors.find((l) => l.name === c.name)?.target),
            })),
      },
    });
    await registerConsole(api, {
      console: config.server.console,
      issuers: config.identity.issuers,
      authenticator,
      approvals: approvals.service,
      changes: approvals.changes,
      connectors: () => live.connectors,
      policyTester: createPolicyTester(CONNECTOR_MODULES),
      clock,
      logger,
      publicUrl,
      secret: resolveSecret,
      listenHost: config.server.api.listen.host,
    });
    apiUrl = await listenApi(api, config.server.api.listen);
    cleanup.push(() => api.close());
    void authenticator.warmUp();

    const connectors: Connector[] = [];
    for (const [index, connectorConfig] of config.connectors.entries()) {
      const connector = factories[index]!({
        config: connectorConfig,
        gate,
        authenticator,
        logger: logger.child({ connector: connectorConfig.name }),
        secret: resolveSecret,
        tls,
        publicUrl: publicUrl(),
        masking: maskingOf(connectorConfig.name),
        keys,
      });
      await connector.start();
      connectors.push(connector);
      started.push(connector);
      cleanup.push(() => connector.stop(options.drainMs ?? 10_000));
      const { host, port } = connector.address();
      logger.info(
        { connector: connector.name, type: connector.type, listen: `${host}:${port}` },
        'connector listening',
      );
    }
    logger.info({ api: apiUrl }, 'gatehouse ready');

    let closing: Promise<void> | undefined;
    return {
      connectors,
      apiUrl,
      publicUrl: publicUrl(),
      gate,
      store,
      authenticator,
      auditStats: () => audit.sink.stats(),
      reload(next) {
        enforce(overlayPolicy(next, central.policy));
        yaml = next;
        central.configChanged();
        logger.info('policy reloaded');
      },
      policyVersion: () => central.enforcedVersion,
      close() {
        accepting = false;
        // Held commands stop waiting now (tickets stay pending); running ones may finish.
        gate.shutdown();
        closing ??= undo();
        return closing;
      },
    };
  } catch (err) {
    await undo();
    throw err;
  }
}

const NO_MASKING = compileMasking([]);

/** `target.logins` of an ssh connector (validated by its module; read here without it). */
function loginsOf(target: unknown): string[] {
  const logins = (target as { logins?: unknown } | null)?.logins;
  return Array.isArray(logins) ? logins.filter((l): l is string => typeof l === 'string') : [];
}

/** Compiles each connector's masking rules; throws MaskingConfigError before anything starts. */
function compileConnectorMasking(config: Config): Map<string, MaskingPlan> {
  const shared = {
    hashKey: config.masking.hash_key && resolveSecret(config.masking.hash_key),
    custom: config.masking.custom,
  };
  const plans = new Map<string, MaskingPlan>();
  for (const connector of config.connectors) {
    if (connector.masking.length > 0) {
      plans.set(connector.name, compileMasking(connector.masking, shared));
    }
  }
  return plans;
}

/**
 * What `policy apply` checks beyond the schema for one connector's entry, as config and start
 * would: rule conditions the schema cannot judge (unknown statement classes, bad time zones) and
 * masking that does not compile. Paths are below the entry.
 */
function policyProblems(
  config: Config,
  policy: ConnectorPolicy,
  connector: ConnectorConfig,
): Array<{ path: PropertyKey[]; message: string }> {
  const problems: Array<{ path: PropertyKey[]; message: string }> = [];
  const module = CONNECTOR_MODULES.find((m) => m.type === connector.type);
  for (const issue of policyIssues({ ...connector, rules: policy.rules }, module?.conditions ?? {}))
    problems.push(issue);
  try {
    compileMasking(policy.masking, {
      hashKey: config.masking.hash_key && resolveSecret(config.masking.hash_key),
      custom: config.masking.custom,
    });
  } catch (err) {
    if (!(err instanceof MaskingConfigError)) throw err;
    for (const issue of err.issues)
      problems.push({ path: splitKeyPath(issue.path), message: issue.message });
  }
  return problems;
}

function readListenerTls(config: Config): ListenerTls | undefined {
  const files = config.server.tls;
  if (!files) return undefined;
  return { cert: readFileSync(files.cert, 'utf8'), key: readFileSync(files.key, 'utf8') };
}
