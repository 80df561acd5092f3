import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { ConnectorConfig } from '../config/schema.js';
import type { ApprovalHold } from './approval-hold.js';
import type { AuditSink, ClientInfo } from './audit-sink.js';
import type { Clock } from './clock.js';
import type { CaptureLimits, Command, CommandOutcome } from './command.js';
import type { Decision, PolicyDecider } from './decision.js';
import { GatehouseError } from './errors.js';
import type { Identity } from './identity.js';
import type { GateMetrics } from './metrics.js';

export interface GateDeps {
  audit: AuditSink;
  policy: PolicyDecider;
  clock: Clock;
  logger: Logger;
  metrics: GateMetrics;
  connectors: ReadonlyArray<ConnectorConfig>;
  /** Holds commands that need review; without it, review decisions are refused (fail closed). */
  approvals?: ApprovalHold;
  /** `audit.capture`: how much of each result connectors capture; absent captures nothing. */
  capture?: CaptureLimits;
}

/** How a connector takes part while a command waits for review. */
export interface CheckHooks {
  /** The command is held: tell the client (protocol-native notice) the ticket id and URL. */
  onPending?: (ticketId: string, url: string) => void;
  /** Aborted when the client stops waiting. */
  signal?: AbortSignal;
  /**
   * Set when the connector cannot hold this command for review (e.g. a setting sent while the
   * connection starts): a review decision is then recorded and refused, saying this.
   */
  reviewUnavailable?: string;
}

/**
 * What the audit log must not hold in clear: the connector's masking for this identity
 * (docs/masking.md). The gate applies it to command text, parameters and error messages it records;
 * `exemptions` (labels of rules waived for the identity) go into the session record.
 */
export interface AuditMasking {
  maskText(text: string): string;
  exemptions: ReadonlyArray<string>;
}

/** Permission to forward one command; hand it back to `complete` with the outcome. */
export interface Permit {
  readonly seq: number;
  /** The text to send to the target (the reviewer's text after a modify). */
  readonly text: string;
  readonly decision: Decision;
  /** Ticket whose approval let the command through, if any. */
  readonly ticketId?: string;
  readonly startedAt: number;
}

/**
 * The one place every connector goes through, the same way: authenticate happens before,
 * then for each command decide → record → (forward, done by the connector) → complete.
 * The gate never imports a connector.
 */
export class Gate {
  readonly #deps: GateDeps;
  #connectors = new Map<string, ConnectorConfig>();
  /** Open sessions, so a policy change can reach the ones it concerns. */
  readonly #open = new Set<GateSession>();

  constructor(deps: GateDeps) {
    this.#deps = deps;
    this.updateConnectors(deps.connectors);
  }

  get metrics(): GateMetrics {
    return this.#deps.metrics;
  }

  /** Aborted by `shutdown()`: held commands stop waiting (their tickets stay pending). */
  readonly #shutdown = new AbortController();

  get shutdownSignal(): AbortSignal {
    return this.#shutdown.signal;
  }

  /**
   * The process is going down: every command held for review stops waiting at once and its
   * client is told the ticket stays open (a retry, on any replica, attaches to it). Commands
   * already permitted run on; connectors close each session once it is idle.
   */
  shutdown(): void {
    this.#shutdown.abort();
  }

  /** Swaps in new connector policy; live sessions use it from their next command. */
  updateConnectors(connectors: ReadonlyArray<ConnectorConfig>): void {
    const before = this.#connectors;
    this.#connectors = new Map(connectors.map((c) => [c.name, c]));
    // Rules are read at each command; a session's masking was set up when it opened. A session
    // whose connector's masking changed ends at its next command, so nothing reaches a client
    // under masking that is no longer in force.
    for (const [name, next] of this.#connectors) {
      const previous = before.get(name);
      if (!previous || JSON.stringify(previous.masking) === JSON.stringify(next.masking)) continue;
      for (const session of this.#open) {
        if (session.record.connector === name) session.maskingChanged();
      }
    }
  }

  /** Called by a session as it closes. */
  forget(session: GateSession): void {
    this.#open.delete(session);
  }

  connectorConfig(name: string): ConnectorConfig {
    const config = this.#connectors.get(name);
    if (!config) throw new GatehouseError('access_denied', `connector "${name}" is not configured`);
    return config;
  }

  /**
   * Admits an authenticated identity to a connector and records the session start.
   * Throws `access_denied` when the identity is not in the connector's `access` list,
   * `store_unavailable` when the session cannot be recorded.
   */
  async openSession(
    connector: string,
    protocol: string,
    identity: Identity,
    client: ClientInfo,
    target?: Record<string, string>,
    masking?: AuditMasking,
  ): Promise<GateSession> {
    const { metrics, audit, clock, logger } = this.#deps;
    const config = this.connectorConfig(connector);
    if (!mayConnect(config, identity)) {
      metrics.sessionsTotal.inc({ connector, outcome: 'denied' });
      throw new GatehouseError(
        'access_denied',
        `${identity.subject} may not use connector "${connector}"`,
        {
          hint: `access requires one of the groups: ${(config.access.groups ?? []).join(', ') || '(none)'}`,
        },
      );
    }
    const session = new GateSession(
      this,
      this.#deps,
      {
        id: randomUUID(),
        connector,
        protocol,
        identity,
        client,
        target:
          masking && masking.exemptions.length > 0
            ? { ...target, masking_exempt: masking.exemptions.join('; ') }
            : target,
        startedAt: clock.now(),
      },
      masking,
    );
    await audit.sessionStarted(session.record);
    this.#open.add(session);
    metrics.sessionsTotal.inc({ connector, outcome: 'opened' });
    metrics.sessionsActive.inc({ connector });
    logger.info(
      { session: session.id, connector, subject: identity.subject, client: client.address },
      'session opened',
    );
    return session;
  }
}

/**
 * For an unclassifiable command, why, before the rule that refused it: policy treated it as
 * every class, so the rule may name a class the command's text never shows.
 */
function unclassifiablePrefix(command: Command): string {
  if (!command.unclassifiable) return '';
  return `${command.unclassifiableReason ?? 'command cannot be classified'}: treated as every class; `;
}

export function mayConnect(config: ConnectorConfig, identity: Identity): boolean {
  const { groups = [], subjects = [] } = config.access;
  if (groups.includes('*')) return true;
  if (subjects.includes(identity.subject)) return true;
  return identity.groups.some((group) => groups.includes(group));
}

/** One client session on one connector: the per-command half of the gate. */
export class GateSession {
  readonly record: import('./audit-sink.js').SessionRecord;
  readonly #gate: Gate;
  readonly #deps: GateDeps;
  readonly #mask: ((text: string) => string) | undefined;
  #seq = 0;
  #closed = false;
  /** Commands between `check` and their `complete` (or refusal). */
  #inFlight = 0;
  #idleWaiters: Array<() => void> = [];
  #expiryTimer: NodeJS.Timeout | undefined;
  /** How the connector ends this session from the gateway's side (`onGatewayEnd`). */
  #end: ((err: GatehouseError) => void) | undefined;
  #maskingChanged = false;

  constructor(
    gate: Gate,
    deps: GateDeps,
    record: import('./audit-sink.js').SessionRecord,
    masking?: AuditMasking,
  ) {
    this.#gate = gate;
    this.#deps = deps;
    this.record = record;
    this.#mask = masking && ((text) => masking.maskText(text));
  }

  /** The command as the audit log may hold it: text and parameters masked. */
  #recorded(command: Command): Command {
    const mask = this.#mask;
    if (!mask) return command;
    return {
      ...command,
      text: mask(command.text),
      params: command.params?.map((param) => (param === null ? null : mask(param))),
    };
  }

  get id(): string {
    return this.record.id;
  }

  get identity(): Identity {
    return this.record.identity;
  }

  /** How much of each result to capture into `CommandOutcome.result`; undefined: none. */
  get captureLimits(): CaptureLimits | undefined {
    const limits = this.#deps.capture;
    return limits && limits.maxRows > 0 && limits.maxBytes > 0 ? limits : undefined;
  }

  /**
   * Decides and records one command. Resolves with a Permit once the command may be forwarded
   * (after its record is committed); throws `policy_denied` (or another GatehouseError) when it
   * may not. Nothing reaches the target without a Permit.
   */
  async check(command: Command, hooks: CheckHooks = {}): Promise<Permit> {
    this.#inFlight++;
    try {
      return await this.#check(command, hooks);
    } catch (err) {
      this.#settled();
      throw err;
    }
  }

  /** True while a command of this session is between `check` and its `complete` (or refusal). */
  get busy(): boolean {
    return this.#inFlight > 0;
  }

  /** Resolves once no command of this session is between `check` and `complete`. */
  whenIdle(): Promise<void> {
    if (this.#inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  #settled(): void {
    if (--this.#inFlight > 0) return;
    this.#inFlight = 0;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  async #check(command: Command, hooks: CheckHooks): Promise<Permit> {
    if (this.#closed) throw new GatehouseError('protocol_violation', 'session is closed');
    if (this.#maskingChanged) {
      const err = new GatehouseError(
        'access_denied',
        `the masking rules of connector "${this.record.connector}" changed; this session ended`,
        { hint: 'connect again: new sessions are masked under the rules now in force' },
      );
      this.#end?.(err);
      throw err;
    }
    const { policy, audit, clock, metrics } = this.#deps;
    const connector = this.#gate.connectorConfig(this.record.connector);
    const startedAt = clock.now();
    const checkStarted = performance.now();
    const seq = ++this.#seq;
    const identity = this.record.identity;
    const decision = policy.decide({ connector, identity, command, now: startedAt });
    metrics.commandsTotal.inc({ connector: connector.name, decision: decision.action });
    const record = {
      sessionId: this.record.id,
      seq,
      at: startedAt,
      command: this.#recorded(command),
      decision,
    };

    if (decision.action === 'allow') {
      await audit.commandDecided({ ...record, executedText: record.command.text });
      metrics.gateLatencySeconds.observe(
        { connector: connector.name },
        (performance.now() - checkStarted) / 1000,
      );
      return { seq, text: command.text, decision, startedAt };
    }
    if (decision.action === 'deny') {
      await audit.commandDecided(record);
      throw new GatehouseError(
        'policy_denied',
        `${unclassifiablePrefix(command)}denied by ${decision.rule ? `rule "${decision.rule}"` : 'connector default'}`,
        {
          rule: decision.rule,
          rationale: decision.reason,
        },
      );
    }
    return this.#review(command, decision, record, hooks);
  }

  async #review(
    command: Command,
    decision: Decision,
    record: Omit<import('./audit-sink.js').CommandRecord, 'ticketId' | 'executedText'>,
    hooks: CheckHooks,
  ): Promise<Permit> {
    const { approvals, audit, clock, metrics } = this.#deps;
    if (hooks.reviewUnavailable) {
      await audit.commandDecided(record);
      throw new GatehouseError(
        'policy_denied',
        `rule "${decision.rule}" requires review, which ${hooks.reviewUnavailable}`,
        { rule: decision.rule, rationale: decision.reason },
      );
    }
    if (!approvals) {
      await audit.commandDecided(record);
      throw new GatehouseError(
        'policy_denied',
        `rule "${decision.rule}" requires review, and no approvals service runs`,
        {
          rule: decision.rule,
        },
      );
    }
    const waitStarted = clock.now();
    try {
      const release = await approvals.hold({
        connector: this.record.connector,
        identity: this.record.identity,
        command,
        decision,
        signal: hooks.signal
          ? AbortSignal.any([hooks.signal, this.#gate.shutdownSignal])
          : this.#gate.shutdownSignal,
        reason: this.record.client.reason,
        onPending: hooks.onPending && ((ticket, url) => hooks.onPending!(ticket.id, url)),
      });
      await audit.commandDecided({
        ...record,
        ticketId: release.ticket.id,
        executedText: this.#mask ? this.#mask(release.text) : release.text,
      });
      return {
        seq: record.seq,
        text: release.text,
        decision,
        ticketId: release.ticket.id,
        startedAt: clock.now(),
      };
    } catch (err) {
      if (err instanceof GatehouseError && err.details.ticketId) {
        await audit.commandDecided({ ...record, ticketId: err.details.ticketId });
        if (err.code === 'approval_timeout' && this.#gate.shutdownSignal.aborted) {
          throw new GatehouseError(
            'approval_timeout',
            'approval wait cancelled: this gateway is shutting down',
            err.details,
          );
        }
      }
      throw err;
    } finally {
      metrics.approvalWaitSeconds.observe(
        { connector: this.record.connector },
        (clock.now() - waitStarted) / 1000,
      );
    }
  }

  /** Records how a forwarded command ended. Never throws. */
  complete(permit: Permit, outcome: Omit<CommandOutcome, 'durationMs'>): void {
    this.#settled();
    const durationMs = this.#deps.clock.now() - permit.startedAt;
    const mask = this.#mask;
    const error = outcome.error &&
      mask && { code: outcome.error.code, message: mask(outcome.error.message) };
    this.#deps.audit.commandCompleted(this.record.id, permit.seq, {
      ...outcome,
      ...(error && { error }),
      durationMs,
    });
  }

  /**
   * `access.end_session_at_token_expiry`: when the connector has it on and the token carries an
   * expiry, calls `end` once at that moment with a `token_invalid` error saying why. The
   * connector ends the session with it in its own protocol (an open transaction is rolled back
   * by ending the target session) and closes this session with `err.message` as the reason, so
   * the end is recorded. Returns false when no timer was set. Cleared by `close`. `end` is also
   * how the gate ends the session for other reasons (see `maskingChanged`).
   */
  endAtTokenExpiry(end: (err: GatehouseError) => void): boolean {
    this.#end = end;
    const expiresAt = this.record.identity.expiresAt;
    const config = this.#gate.connectorConfig(this.record.connector);
    if (!config.access.end_session_at_token_expiry || expiresAt === undefined || this.#closed) {
      return false;
    }
    const at = expiresAt * 1000;
    const fire = () => {
      this.#expiryTimer = undefined;
      if (this.#closed) return;
      this.#deps.logger.info({ session: this.id }, 'session ended at token expiry');
      end(
        new GatehouseError(
          'token_invalid',
          `the access token expired at ${new Date(at).toISOString()}; session ended`,
          { hint: 'connect again with a fresh token' },
        ),
      );
    };
    const schedule = () => {
      // setTimeout holds at most ~24.8 days; longer waits are taken in steps.
      const delay = Math.min(Math.max(at - this.#deps.clock.now(), 0), 2 ** 31 - 1);
      this.#expiryTimer = setTimeout(() => {
        if (this.#deps.clock.now() >= at) fire();
        else schedule();
      }, delay);
      this.#expiryTimer.unref();
    };
    schedule();
    return true;
  }

  /**
   * The connector's masking changed since this session opened: its next command is refused
   * and the session ended (through the connector's `endAtTokenExpiry` callback, which is how
   * the gate ends a session), the reason recorded. A connector that registered none refuses
   * every further command instead.
   */
  maskingChanged(): void {
    this.#maskingChanged = true;
  }

  /** Ends the session record. Idempotent. */
  async close(reason: string): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#gate.forget(this);
    clearTimeout(this.#expiryTimer);
    const { audit, clock, metrics, logger } = this.#deps;
    metrics.sessionsActive.dec({ connector: this.record.connector });
    logger.info({ session: this.id, reason }, 'session closed');
    try {
      await audit.sessionEnded(this.record.id, reason, clock.now());
    } catch (err) {
      logger.error({ err, session: this.id }, 'could not record session end');
    }
  }
}
