import { type Insertable, type Kysely, sql } from 'kysely';
import type { AuditEventsTable, Database } from '../../store/database.js';
import type { StoreDialect } from '../../store/migrations/index.js';
import type { NewAuditEvent } from '../record/audit-event.js';
import { recordHash } from '../record/chain-hash.js';

/** The chain's single row in `audit_chain`. */
export const CHAIN_ID = 'main';

/** Where the chain ends (head) and, after a recorded purge, where it now begins (base). */
export interface ChainHead {
  headSeq: number;
  headHash: string;
  baseSeq: number;
  baseHash: string;
}

/** Rows per INSERT: 12 parameters each stays far below both dialects' parameter limits. */
const ROWS_PER_INSERT = 1000;

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
  if (!row) throw new Error('the audit chain head row is missing (see gatehouse audit verify)');
  return {
    headSeq: Number(row.head_seq),
    headHash: row.head_hash,
    baseSeq: Number(row.base_seq),
    baseHash: row.base_hash,
  };
}

/**
 * Appends `events` after `head` inside the caller's transaction (which holds the head lock):
 * hashes each onto the previous, inserts them in a few multi-row statements, moves the head.
 * Returns the new head. The caller commits.
 */
export async function appendEvents(
  trx: Kysely<Database>,
  head: ChainHead,
  events: ReadonlyArray<NewAuditEvent>,
  recordedAt: number,
): Promise<ChainHead> {
  if (events.length === 0) return head;
  const rows: Insertable<AuditEventsTable>[] = [];
  let seq = head.headSeq;
  let prevHash = head.headHash;
  for (const event of events) {
    const hash = recordHash(prevHash, { ...event, recordedAt });
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
      hash,
    });
    prevHash = hash;
  }
  for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
    await trx
      .insertInto('audit_events')
      .values(rows.slice(i, i + ROWS_PER_INSERT))
      .execute();
  }
  await trx
    .updateTable('audit_chain')
    .set({ head_seq: seq, head_hash: prevHash })
    .where('id', '=', CHAIN_ID)
    .execute();
  return { ...head, headSeq: seq, headHash: prevHash };
}
