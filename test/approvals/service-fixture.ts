import { pino } from 'pino';
import {
  ApprovalService,
  type HoldRequest,
  type TicketEventType,
} from '../../src/approvals/approval-service.js';
import {
  SqlTicketRepository,
  type TicketTables,
} from '../../src/approvals/sql-ticket-repository.js';
import type { Ticket } from '../../src/approvals/ticket.js';
import { LocalTicketChanges, type TicketChanges } from '../../src/approvals/ticket-changes.js';
import type { ReviewConfig } from '../../src/config/schema.js';
import type { Clock } from '../../src/core/clock.js';
import { GatehouseError } from '../../src/core/errors.js';
import type { Identity } from '../../src/core/identity.js';
import { openStore, type Store } from '../../src/store/index.js';
import { createDatabase } from '../helpers/pg-db.js';
import { requirePostgres } from '../helpers/services.js';

/** A clock the test moves by hand; starts at a fixed, recognisable instant. */
export class ManualClock implements Clock {
  #now = Date.parse('2030-01-01T00:00:00Z');

  now(): number {
    return this.#now;
  }

  advance(ms: number): void {
    this.#now += ms;
  }
}

/** A store of one dialect, freshly migrated, removed by `drop()`. */
export interface OpenedStore {
  readonly store: Store;
  /** The store URL (postgres only: the LISTEN/NOTIFY feed connects to it). */
  readonly url: string;
  drop(): Promise<void>;
}

export interface StoreKind {
  readonly name: 'sqlite' | 'postgres';
  open(): Promise<OpenedStore>;
}

const sqliteKind: StoreKind = {
  name: 'sqlite',
  async open() {
    const url = 'sqlite::memory:';
    const store = await openStore(url);
    return { store, url, drop: () => store.close() };
  },
};

const postgresKind: StoreKind = {
  name: 'postgres',
  async open() {
    const database = await createDatabase('gh_approvals');
    try {
      const store = await openStore(database.url);
      return {
        store,
        url: database.url,
        async drop() {
          await store.close();
          await database.drop();
        },
      };
    } catch (err) {
      await database.drop();
      throw err;
    }
  },
};

/**
 * The store dialects the approval tests run on: SQLite always; PostgreSQL when the machine's
 * server answers (in CI its absence fails the suite instead of skipping).
 */
export const STORE_KINDS: ReadonlyArray<StoreKind> = (await requirePostgres())
  ? [sqliteKind, postgresKind]
  : [sqliteKind];

export const ISSUER = 'https://dev.gatehouse.invalid';

export function identityFor(subject: string, groups: string[], agent = false): Identity {
  return { issuer: ISSUER, issuerName: 'dev', subject, groups, agent };
}

export const agent = identityFor('agent-1', ['agents'], true);
export const alice = identityFor('alice', ['dba']);
export const bob = identityFor('bob', ['dba']);
export const carol = identityFor('carol', ['dba']);
export const mallory = identityFor('mallory', ['developers']);

export interface EventLog {
  type: TicketEventType;
  ticket: Ticket;
  url: string;
}

export interface ServiceUnderTest {
  service: ApprovalService;
  tickets: SqlTicketRepository;
  events: EventLog[];
}

/** An ApprovalService over the real SQL repository of `store`. */
export function serviceOn(
  store: Store,
  clock: Clock,
  changes: TicketChanges = new LocalTicketChanges(),
  defaults = { timeoutMs: 3_600_000, waitMs: 10_000, approvers: ['dba'] },
): ServiceUnderTest {
  const tickets = new SqlTicketRepository(store.db.withTables<TicketTables>());
  const events: EventLog[] = [];
  const service = new ApprovalService({
    tickets,
    changes,
    clock,
    logger: pino({ level: 'silent' }),
    publicUrl: () => 'https://gatehouse.example/',
    defaults,
    onEvent: (type, ticket, url) => events.push({ type, ticket, url }),
  });
  return { service, tickets, events };
}

/** A held `review` decision as the policy produces it (durations in ms, as the schema yields). */
export function reviewDecision(review: Partial<ReviewConfig> = {}, rule = 'destructive') {
  return {
    action: 'review' as const,
    rule,
    reason: `rule ${rule}`,
    review: { approvers: ['dba'], approvals: 1, timeout: 3_600_000, wait: 10_000, ...review },
  };
}

export function holdRequest(
  text: string,
  options: {
    who?: Identity;
    review?: Partial<ReviewConfig>;
    rule?: string;
    params?: Array<string | null>;
    signal?: AbortSignal;
    connector?: string;
  } = {},
): HoldRequest {
  return {
    connector: options.connector ?? 'pg',
    identity: options.who ?? agent,
    command: {
      text,
      params: options.params,
      classes: ['ddl', 'drop_table', 'write'],
      target: { database: 'app' },
    },
    decision: reviewDecision(options.review, options.rule),
    signal: options.signal,
  };
}

/**
 * Starts `hold` and resolves with its outcome promise plus the ticket it waits on, once the
 * service says the client is waiting (the `onPending` hook).
 */
export async function startHold(
  service: ApprovalService,
  request: HoldRequest,
): Promise<{ ticket: Ticket; url: string; outcome: ReturnType<ApprovalService['hold']> }> {
  let pending!: (value: { ticket: Ticket; url: string }) => void;
  const waiting = new Promise<{ ticket: Ticket; url: string }>((resolve) => {
    pending = resolve;
  });
  const outcome = service.hold({
    ...request,
    onPending: (ticket, url) => pending({ ticket, url }),
  });
  // A hold that settles without waiting (reuse, repeated denial) never calls onPending.
  const settledEarly = outcome.then(
    () => undefined,
    () => undefined,
  );
  const first = await Promise.race([waiting, settledEarly]);
  if (!first) {
    await outcome;
    throw new Error('hold settled without waiting on a ticket');
  }
  return { ...first, outcome };
}

/** The GatehouseError `promise` rejects with (fails the test when it resolves or throws anything else). */
export async function rejection(promise: Promise<unknown>): Promise<GatehouseError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof GatehouseError) return err;
    throw err;
  }
  throw new Error('expected a rejection, got a result');
}
