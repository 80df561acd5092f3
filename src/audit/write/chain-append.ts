import type { NewAuditEvent } from '../record/audit-event.js';
import type { recordHash } from '../record/chain-hash.js';

// The one implementation of appending to the hash chain, for both paths: through Kysely inside
// a transaction (audit-writes.ts: PostgreSQL, and SQLite without a writer thread) and in the
// SQLite audit writer thread over prepared statements (sqlite-chain-writer.ts), which loads this
// file from sources (type stripping) as well as from dist: it imports nothing at run time.

/** The chain's single row in `audit_chain`. */
export const CHAIN_ID = 'main';

/** Where the chain ends (head) and, after a recorded purge, where it now begins (base). */
export interface ChainHead {
  headSeq: number;
  headHash: string;
  baseSeq: number;
  baseHash: string;
}

/** One batch for the chain. */
export interface ChainBatch {
  events: NewAuditEvent[];
  /** Per event: a commit holding it was tried before, so it may already be stored. */
  retried: boolean[];
  /** The batch's `recorded_at` (epoch ms, the gateway's clock). */
  recordedAt: number;
  /** Per event, when records journalled at different times are chained together. */
  recordedAtEach?: number[] | undefined;
}

/** One `audit_events` row as appended (AuditEventsTable). */
export interface ChainRow {
  seq: number;
  recorded_at: number;
  kind: string;
  session_id: string | null;
  command_seq: number | null;
  at: number;
  connector: string | null;
  subject: string | null;
  decision: string | null;
  data: string;
  prev_hash: string;
  hash: string;
}

/**
 * What appending needs of a connection, inside a transaction the caller opens and commits.
 * `ChainStatements` runs them synchronously (the writer thread's prepared statements),
 * `AsyncChainStatements` asynchronously (Kysely); the steps in between are the same code.
 */
export interface ChainStatements {
  /**
   * The chain head, held until the transaction ends so appenders take turns; undefined when
   * the head row is missing.
   */
  head(): ChainHead | undefined;
  /** `factKey`s of those of `events` the chain already holds. */
  stored(events: ReadonlyArray<NewAuditEvent>): ReadonlySet<string>;
  /** Inserts `rows` (in order, consecutive `seq`). */
  insert(rows: ReadonlyArray<ChainRow>): void;
  /** Moves the head to `seq`, `hash`. */
  moveHead(seq: number, hash: string): void;
}

export type AsyncChainStatements = {
  [K in keyof ChainStatements]: (
    ...args: Parameters<ChainStatements[K]>
  ) => Promise<ReturnType<ChainStatements[K]>>;
};

export interface ChainAppended {
  /** The head after the batch. */
  head: ChainHead;
  /** Records appended: the batch less the retried ones already stored. */
  written: number;
}

/** Identifies a fact of the record: one of its kind per session (and command). */
export function factKey(event: Pick<NewAuditEvent, 'kind' | 'sessionId' | 'commandSeq'>): string {
  return `${event.kind}\u0000${event.sessionId}\u0000${event.commandSeq}`;
}

/**
 * Appends `batch` with `statements` (synchronous): see `appendSteps`. The caller begins and
 * commits (or rolls back) the transaction.
 */
export function appendToChainSync(
  statements: ChainStatements,
  batch: ChainBatch,
  hash: typeof recordHash,
  head?: ChainHead,
): ChainAppended {
  const steps = appendSteps(batch, hash, head);
  let next = steps.next();
  while (!next.done) next = steps.next(run(statements, next.value));
  return next.value;
}

/** Appends `batch` with `statements` (asynchronous): see `appendSteps`. */
export async function appendToChain(
  statements: AsyncChainStatements,
  batch: ChainBatch,
  hash: typeof recordHash,
  head?: ChainHead,
): Promise<ChainAppended> {
  const steps = appendSteps(batch, hash, head);
  let next = steps.next();
  while (!next.done) next = steps.next(await run(statements, next.value));
  return next.value;
}

type Step =
  | { step: 'head' }
  | { step: 'stored'; events: NewAuditEvent[] }
  | { step: 'insert'; rows: ChainRow[] }
  | { step: 'moveHead'; seq: number; hash: string };

function run(statements: ChainStatements, step: Step): unknown;
function run(statements: AsyncChainStatements, step: Step): Promise<unknown>;
function run(statements: ChainStatements | AsyncChainStatements, step: Step): unknown {
  switch (step.step) {
    case 'head':
      return statements.head();
    case 'stored':
      return statements.stored(step.events);
    case 'insert':
      return statements.insert(step.rows);
    case 'moveHead':
      return statements.moveHead(step.seq, step.hash);
  }
}

function* call<T>(step: Step): Generator<Step, T, unknown> {
  return (yield step) as T;
}

/**
 * The append, as steps the statements run: read (and lock) the head unless the caller holds it
 * already, look up the retried events (a commit whose outcome was unknown, such as a connection
 * lost during COMMIT, may have landed), hash each remaining event onto the previous one,
 * insert them, move the head. A retried event is left out when the chain holds its fact, from
 * before the batch or from earlier in it; first attempts pay nothing for this. Nothing is
 * inserted and the head stays when nothing is left to append.
 */
function* appendSteps(
  batch: ChainBatch,
  hash: typeof recordHash,
  locked: ChainHead | undefined,
): Generator<Step, ChainAppended, unknown> {
  const { events, retried, recordedAtEach } = batch;
  const head = locked ?? (yield* call<ChainHead | undefined>({ step: 'head' }));
  if (!head) throw new Error('the audit chain head row is missing (see gatehouse audit verify)');
  const lookup = events.filter((_, i) => retried[i]);
  const stored =
    lookup.length > 0
      ? new Set(yield* call<ReadonlySet<string>>({ step: 'stored', events: lookup }))
      : undefined;
  const rows: ChainRow[] = [];
  let seq = head.headSeq;
  let prevHash = head.headHash;
  for (let i = 0; i < events.length; i++) {
    const event = events[i]!;
    if (stored) {
      const key = factKey(event);
      if (retried[i] && stored.has(key)) continue;
      stored.add(key);
    }
    const recordedAt = recordedAtEach?.[i] ?? batch.recordedAt;
    const hashed = hash(prevHash, {
      recordedAt,
      kind: event.kind,
      sessionId: event.sessionId,
      commandSeq: event.commandSeq,
      at: event.at,
      connector: event.connector,
      subject: event.subject,
      decision: event.decision,
      data: event.data,
    });
    rows.push({
      seq: ++seq,
      recorded_at: recordedAt,
      kind: event.kind,
      session_id: event.sessionId,
      command_seq: event.commandSeq,
      at: event.at,
      connector: event.connector,
      subject: event.subject,
      decision: event.decision,
      data: event.data,
      prev_hash: prevHash,
      hash: hashed,
    });
    prevHash = hashed;
  }
  if (rows.length === 0) return { head, written: 0 };
  yield* call<void>({ step: 'insert', rows });
  yield* call<void>({ step: 'moveHead', seq, hash: prevHash });
  return { head: { ...head, headSeq: seq, headHash: prevHash }, written: rows.length };
}
