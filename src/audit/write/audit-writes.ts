import type { Kysely } from 'kysely';
import type { Database } from '../../store/database.js';
import type { StoreDialect } from '../../store/migrations/index.js';
import type { NewAuditEvent } from '../record/audit-event.js';
import { appendEvents, lockChainHead } from './chain-append.js';

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

/**
 * Appends one batch to the chain inside the caller's transaction: lock the head, hash, insert,
 * move the head — four statements whatever the batch size. A commit whose outcome was unknown
 * (connection lost during COMMIT) may have landed, so ops retried after a failure are first
 * looked up and left out when already stored; first attempts pay nothing for this.
 */
export async function writeAuditBatch(
  trx: Kysely<Database>,
  dialect: StoreDialect,
  ops: ReadonlyArray<AuditOp>,
  recordedAt: number,
): Promise<void> {
  const head = await lockChainHead(trx, dialect);
  const retried = ops.filter((op) => op.attempted);
  const stored = retried.length > 0 ? await storedFacts(trx, retried) : undefined;
  const events: NewAuditEvent[] = [];
  for (const op of ops) {
    if (!stored?.has(factKey(op.event))) events.push(op.event);
    op.attempted = true;
  }
  await appendEvents(trx, head, events, recordedAt);
}

/** Keys of the facts among `ops` that the chain already holds. */
async function storedFacts(
  trx: Kysely<Database>,
  ops: ReadonlyArray<AuditOp>,
): Promise<Set<string>> {
  const sessions = [...new Set(ops.map((op) => op.event.sessionId ?? ''))];
  const kinds = [...new Set(ops.map((op) => op.event.kind))];
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

function factKey(event: Pick<NewAuditEvent, 'kind' | 'sessionId' | 'commandSeq'>): string {
  return `${event.kind}\u0000${event.sessionId}\u0000${event.commandSeq}`;
}
