import type { Logger } from 'pino';
import type {
  CentralPolicyApi,
  PolicySubmitOutcome,
  PolicyVersionRecord,
} from '../../api/policy-version-routes.js';
import type { ApprovalService, Release } from '../../approvals/approval-service.js';
import type { Ticket } from '../../approvals/ticket.js';
import { auditReaders } from '../../audit/read/readers.js';
import { ConfigError } from '../../config/config-error.js';
import {
  type PolicyDocument,
  type PolicyDocumentOptions,
  parsePolicyDocument,
} from '../../config/policy-document.js';
import {
  type Config,
  type ConnectorPolicy,
  type ConnectorSchemaModule,
  RESERVED_CONNECTOR_NAME,
} from '../../config/schema.js';
import type { Clock } from '../../core/clock.js';
import { GatehouseError } from '../../core/errors.js';
import type { Identity } from '../../core/identity.js';
import { type ChangeFeed, LocalChangeFeed } from '../../store/change-feed.js';
import type { Store } from '../../store/index.js';
import { PostgresChangeFeed } from '../../store/postgres-change-feed.js';
import { PolicyVersions } from './policy-versions.js';

/** NOTIFY channel that tells every replica a new version exists (the payload is its number). */
const CHANNEL = 'gatehouse_policy';
/** The safety net under LISTEN/NOTIFY: how often each replica looks for a newer version. */
const DEFAULT_POLL_MS = 10_000;
/** Tickets for policy changes carry this pseudo-connector name (no connector may have it). */
export const POLICY_TICKET_CONNECTOR = RESERVED_CONNECTOR_NAME;

export interface CentralPolicyDeps {
  store: Store;
  approvals: ApprovalService;
  modules: ReadonlyArray<ConnectorSchemaModule>;
  logger: Logger;
  clock: Clock;
  /** The YAML config in force (SIGHUP swaps it). */
  config: () => Config;
  /**
   * Puts the connector policies of a version in force on top of the YAML config (the same live
   * reload SIGHUP uses); throws, changing nothing, when they cannot be compiled.
   */
  enforce: (policy: ReadonlyArray<ConnectorPolicy>, version: number) => void;
  /** Checks beyond the schema on each entry (rule condition issues, masking compiles). */
  check: PolicyDocumentOptions['check'];
  /** How often to look for a newer version besides notifications (default 10 s). */
  pollMs?: number;
}

/**
 * Central, versioned policy (docs/policy.md, "Central policy"): versions in the shared store,
 * each chained into the audit log; every replica enforces the newest at each live session's
 * next command (LISTEN/NOTIFY on PostgreSQL, in-process on SQLite, and a slow poll).
 */
export class CentralPolicy implements CentralPolicyApi {
  readonly #deps: CentralPolicyDeps;
  readonly #versions: PolicyVersions;
  readonly #changes: ChangeFeed;
  #timer: NodeJS.Timeout | undefined;
  #unsubscribe: (() => void) | undefined;
  /** The version in force here (0: none, the YAML alone). */
  #enforced = 0;
  /** A version that could not be enforced here; not retried until the config changes. */
  #refused = 0;
  #policy: ReadonlyArray<ConnectorPolicy> = [];
  #refreshing: Promise<void> = Promise.resolve();
  #closed = false;

  private constructor(deps: CentralPolicyDeps, changes: ChangeFeed) {
    this.#deps = deps;
    this.#changes = changes;
    this.#versions = new PolicyVersions(deps.store);
  }

  /** Enforces the newest stored version, then follows new ones. */
  static async start(deps: CentralPolicyDeps): Promise<CentralPolicy> {
    const changes: ChangeFeed =
      deps.store.dialect === 'postgres'
        ? await PostgresChangeFeed.start(deps.config().store.url, deps.logger, CHANNEL)
        : new LocalChangeFeed();
    const central = new CentralPolicy(deps, changes);
    try {
      await central.refresh();
    } catch (err) {
      await changes.close();
      throw err;
    }
    central.#unsubscribe = changes.subscribe(() => void central.refresh());
    central.#timer = setInterval(
      () => void central.refresh(),
      deps.pollMs ?? DEFAULT_POLL_MS,
    ).unref();
    return central;
  }

  /** The connector policies of the version in force (empty: the YAML config alone). */
  get policy(): ReadonlyArray<ConnectorPolicy> {
    return this.#policy;
  }

  /** The version in force here (0 when none). */
  get enforcedVersion(): number {
    return this.#enforced;
  }

  /** The YAML config changed (SIGHUP): a version refused before may fit it now. */
  configChanged(): void {
    this.#refused = 0;
    void this.refresh();
  }

  /** Enforces the newest version if it is newer than the one in force. Never throws. */
  refresh(): Promise<void> {
    this.#refreshing = this.#refreshing.then(() => this.#refreshOnce());
    return this.#refreshing;
  }

  async #refreshOnce(): Promise<void> {
    if (this.#closed) return;
    const { logger } = this.#deps;
    try {
      const newest = await this.#versions.latestNumber();
      if (newest <= this.#enforced || newest === this.#refused) return;
      const latest = await this.#versions.latest();
      if (!latest || latest.version <= this.#enforced) return;
      let document: PolicyDocument;
      try {
        if (!(await this.#versions.chained(latest))) {
          throw new Error(
            `policy version ${latest.version} does not match its audit record (written or changed outside the gateway?)`,
          );
        }
        document = this.#parse(latest.document, `policy version ${latest.version}`);
        this.#deps.enforce(document.connectors, latest.version);
      } catch (err) {
        this.#refused = latest.version;
        logger.error(
          { err, version: latest.version },
          'central policy version cannot be enforced here; keeping the policy in force',
        );
        return;
      }
      this.#enforced = latest.version;
      this.#policy = document.connectors;
      logger.info({ version: latest.version }, 'central policy version in force');
    } catch (err) {
      logger.warn({ err }, 'could not read the central policy; retrying');
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    this.#unsubscribe?.();
    await this.#refreshing;
    await this.#changes.close();
  }

  // The API ---------------------------------------------------------------------------------

  async current(caller: Identity): Promise<PolicyVersionRecord | undefined> {
    this.#assertReader(caller);
    return this.#versions.latest();
  }

  async versions(caller: Identity): Promise<PolicyVersionRecord[]> {
    this.#assertReader(caller);
    return this.#versions.list();
  }

  async version(caller: Identity, version: number): Promise<PolicyVersionRecord | undefined> {
    this.#assertReader(caller);
    return this.#versions.get(version);
  }

  apply(
    caller: Identity,
    input: { document: string; reason?: string },
  ): Promise<PolicySubmitOutcome> {
    return this.#submit(caller, input.document, input.reason);
  }

  async rollback(
    caller: Identity,
    input: { version: number; reason?: string },
  ): Promise<PolicySubmitOutcome> {
    this.#assertEditor(caller);
    const earlier = await this.#versions.get(input.version);
    if (!earlier) throw new GatehouseError('not_found', `no policy version ${input.version}`);
    return this.#submit(
      caller,
      earlier.document,
      input.reason ?? `rollback to version ${input.version}`,
      input.version,
    );
  }

  async #submit(
    caller: Identity,
    text: string,
    reason: string | undefined,
    rollbackOf?: number,
  ): Promise<PolicySubmitOutcome> {
    this.#assertEditor(caller);
    let document: PolicyDocument;
    try {
      document = this.#parse(text, 'document');
    } catch (err) {
      if (err instanceof ConfigError) return { kind: 'invalid', issues: err.issues };
      throw err;
    }
    const current = await this.#versions.latest();
    if (current && current.document === document.text) {
      return { kind: 'applied', version: current, changed: false };
    }
    let ticketId: string | undefined;
    if (this.#deps.config().policy.review) {
      const held = await this.#hold(caller, document.text, reason);
      if (held.kind === 'held') return held;
      ticketId = held.release.ticket.id;
      // The reason reviewers read, when the re-submission that picks up the approval gives none.
      reason ??= held.release.ticket.reason;
      if (held.release.text !== document.text) {
        // A reviewer's modified document: checked like any other before it applies.
        try {
          document = this.#parse(held.release.text, `ticket ${ticketId}`);
        } catch (err) {
          if (err instanceof ConfigError) return { kind: 'invalid', issues: err.issues };
          throw err;
        }
      }
    }
    const { version, written } = await this.#versions.append(
      {
        document: document.text,
        author: { issuer: caller.issuer, subject: caller.subject, name: caller.name },
        reason,
        ticketId,
        rollbackOf,
      },
      this.#deps.clock.now(),
    );
    if (!written) return { kind: 'applied', version, changed: false };
    this.#deps.logger.info(
      { version: version.version, subject: caller.subject, ticket: ticketId },
      'central policy version written',
    );
    await this.#changes
      .publish(String(version.version))
      .catch((err: unknown) =>
        this.#deps.logger.warn({ err }, 'could not announce the policy version; replicas poll'),
      );
    await this.refresh();
    return { kind: 'applied', version, changed: true };
  }

  /** Holds the change for review like a command: a ticket, or the release of an approved one. */
  async #hold(
    caller: Identity,
    text: string,
    reason: string | undefined,
  ): Promise<{ kind: 'held'; ticket: Ticket } | { kind: 'released'; release: Release }> {
    const review = this.#deps.config().policy.review!;
    const controller = new AbortController();
    let pending: Ticket | undefined;
    try {
      const release = await this.#deps.approvals.hold({
        connector: POLICY_TICKET_CONNECTOR,
        identity: caller,
        command: { protocol: POLICY_TICKET_CONNECTOR, text, classes: ['policy'] },
        decision: {
          action: 'review',
          rule: 'policy.review',
          reason: 'central policy changes need review',
          review: {
            approvers: review.approvers,
            approvals: review.approvals,
            timeout: review.timeout,
            wait: review.wait,
          },
        },
        reason,
        signal: controller.signal,
        // The API answers 202 at once; the client sends the identical request again.
        onPending: (ticket) => {
          pending = ticket;
          controller.abort();
        },
      });
      return { kind: 'released', release };
    } catch (err) {
      if (pending && err instanceof GatehouseError && err.code === 'approval_timeout') {
        return { kind: 'held', ticket: pending };
      }
      throw err;
    }
  }

  #parse(text: string, source: string): PolicyDocument {
    return parsePolicyDocument(text, source, {
      modules: this.#deps.modules,
      config: this.#deps.config(),
      check: this.#deps.check,
    });
  }

  /** `policy.editors`, else `reviews.approvers`; empty means nobody. */
  #editors(): string[] {
    const config = this.#deps.config();
    return config.policy.editors ?? config.reviews.approvers;
  }

  #assertEditor(caller: Identity): void {
    const editors = this.#editors();
    if (caller.groups.some((group) => editors.includes(group))) return;
    throw new GatehouseError('access_denied', 'changing the central policy needs an editor group', {
      hint:
        editors.length === 0
          ? 'no editor groups are configured: set policy.editors (or reviews.approvers)'
          : `policy editors are the groups: ${editors.join(', ')}`,
    });
  }

  /** Editors, policy reviewers and audit readers may read versions. */
  #assertReader(caller: Identity): void {
    const config = this.#deps.config();
    const readers = new Set([
      ...this.#editors(),
      ...(config.policy.review?.approvers ?? []),
      ...auditReaders(config),
    ]);
    if (caller.groups.some((group) => readers.has(group))) return;
    throw new GatehouseError(
      'access_denied',
      'reading the central policy needs an editor, policy reviewer or audit reader group',
    );
  }
}
