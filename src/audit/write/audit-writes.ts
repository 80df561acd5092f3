import { type Kysely, sql } from 'kysely';
import type { Database } from '../../store/database.js';
import type { StoreDialect } from '../../store/migrations/index.js';
import type { NewAuditEvent } from '../record/audit-event.js';
import { recordHash } from '../record/chain-hash.js';
import {
  type AsyncChainStatements,
  appendToChain,
  CHAIN_ID,
  type ChainBatch,
  type ChainHead,
  factKey,
} from './chain-append.js';

/** One record on its way to the chain; settled once the batch holding it committed or failed. */
export interface AuditOp {
  /** What the gate reported: decides whether a failed commit keeps the op for a retry. */
  kind: 'session' | 'decided' | 'completed' | 'ended';
  event: NewAuditEvent;
  /** Set once a commit holding the op was tried: its outcome may be unknown (see below). */
  attempted?: boolean;
  resolve?: (() => void) | undefined;
  reject?: ((err: Error) => void) | undefined;
}

/** Rows per INSERT: 12 parameters each stays far below both dialects' parameter limits. */
const ROWS_PER_INSERT = 1000;

/**
 * `ops` as one batch for the chain, stamped `recordedAt`: each op is marked retried if a commit
 * holding it was tried before, and is marked attempted from now on.
 */
export function chainBatch(ops: ReadonlyArray<AuditOp>, recordedAt: number): ChainBatch {
  const batch: ChainBatch = { events: [], retried: [], recordedAt };
  for (const op of ops) {
    batch.events.push(op.event);
    batch.retried.push(op.attempted === true);
    op.attempted = true;
  }
  return batch;
}

/**
 * Appends one batch to the chain inside the caller's transaction (chain-append.ts): lock the
 * head, hash, insert, move the head — four statements whatever the batch size. A commit whose
 * outcome was unknown (connection lost during COMMIT) may have landed, so ops retried after a
 * failure are first looked up and left out when already stored; first attempts pay nothing.
 */
export async function writeAuditBatch(
  trx: Kysely<Database>,
  dialect: StoreDialect,
  ops: ReadonlyArray<AuditOp>,
  recordedAt: number,
): Promise<void> {
  const head = await lockChainHead(trx, dialect);
  await appendToChain(chainStatements(trx, dialect), chainBatch(ops, recordedAt), recordHash, head);
}

/**
 * Appends `events` after `head` inside the caller's transaction (which holds the head lock, see
 * `lockChainHead`), all stamped `recordedAt`. Returns the new head. The caller commits.
 */
export async function appendEvents(
  trx: Kysely<Database>,
  dialect: StoreDialect,
  head: ChainHead,
  events: ReadonlyArray<NewAuditEvent>,
  recordedAt: number,
): Promise<ChainHead> {
  const batch = { events: [...events], retried: events.map(() => false), recordedAt };
  return (await appendToChain(chainStatements(trx, dialect), batch, recordHash, head)).head;
}

/**
 * Reads the chain head and holds it until the caller's transaction ends, so appenders on every
 * replica take turns. PostgreSQL: `SELECT … FOR UPDATE` (a row lock), which also sets
 * `synchronous_commit = on` for the transaction, so COMMIT returns only once the WAL is flushed
 * whatever the server's or the URL's default (docs/audit.md). SQLite: a no-op UPDATE (takes the
 * database write lock at once, so two writers never deadlock upgrading a read lock).
 */
export async function lockChainHead(
  trx: Kysely<Database>,
  dialect: StoreDialect,
): Promise<ChainHead> {
  const head = await readChainHead(trx, dialect);
  if (!head) throw new Error('the audit chain head row is missing (see gatehouse audit verify)');
  return head;
}

async function readChainHead(
  trx: Kysely<Database>,
  dialect: StoreDialect,
): Promise<ChainHead | undefined> {
  const row =
    dialect === 'postgres'
      ? await trx
          .selectFrom('audit_chain')
          .selectAll()
          .select(sql<string>`set_config('synchronous_commit', 'on', true)`.as('durable'))
          .where('id', '=', CHAIN_ID)
          .forUpdate()
          .executeTakeFirst()
      : await trx
          .updateTable('audit_chain')
          .set({ head_seq: sql`head_seq` })
          .where('id', '=', CHAIN_ID)
          .returningAll()
          .executeTakeFirst();
  return (
    row && {
      headSeq: Number(row.head_seq),
      headHash: row.head_hash,
      baseSeq: Number(row.base_seq),
      baseHash: row.base_hash,
    }
  );
}

/** The chain's statements through Kysely, inside the caller's transaction. */
function chainStatements(trx: Kysely<Database>, dialect: StoreDialect): AsyncChainStatements {
  return {
    head: () => readChainHead(trx, dialect),
    stored: (events) => storedFacts(trx, events),
    async insert(rows) {
      for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
        await trx
          .insertInto('audit_events')
          .values(rows.slice(i, i + ROWS_PER_INSERT))
          .execute();
      }
    },
    async moveHead(seq, hash) {
      await trx
        .updateTable('audit_chain')
        .set({ head_seq: seq, head_hash: hash })
        .where('id', '=', CHAIN_ID)
        .execute();
    },
  };
}

/** Keys of the facts among `events` that the chain already holds. */
async function storedFacts(
  trx: Kysely<Database>,
  events: ReadonlyArray<NewAuditEvent>,
): Promise<Set<string>> {
  const sessions = [...new Set(events.map((event) => event.sessionId ?? ''))];
  const kinds = [...new Set(events.map((event) => event.kind))];
  const rows = await trx
    .selectFrom('audit_events')
    .select(['kind', 'session_id', 'command_seq'])
    .where('session_id', 'in', sessions)
    .where('kind', 'in', kinds)
    .execute();
  return new Set(
    rows.map((row) =>
      factKey({
        kind: row.kind,
        sessionId: row.session_id,
        commandSeq: row.command_seq === null ? null : Number(row.command_seq),
      }),
    ),
  );
}
