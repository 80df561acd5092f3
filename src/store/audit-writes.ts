import { type Insertable, type Kysely, sql } from 'kysely';
import type { CommandRecord, SessionRecord } from '../core/audit-sink.js';
import type { CommandOutcome } from '../core/command.js';
import type { CommandsTable, Database, SessionsTable } from './database.js';

/** Settled once the batch holding the op has committed (or failed); absent when nobody waits. */
interface Waiter {
  resolve?: (() => void) | undefined;
  reject?: ((err: Error) => void) | undefined;
}

export interface SessionStartOp extends Waiter {
  kind: 'session';
  record: SessionRecord;
}
export interface CommandDecidedOp extends Waiter {
  kind: 'decided';
  record: CommandRecord;
}
export interface CommandCompletedOp extends Waiter {
  kind: 'completed';
  sessionId: string;
  seq: number;
  outcome: CommandOutcome;
  completedAt: number;
}
export interface SessionEndOp extends Waiter {
  kind: 'ended';
  sessionId: string;
  reason: string;
  endedAt: number;
}
export type AuditOp = SessionStartOp | CommandDecidedOp | CommandCompletedOp | SessionEndOp;

/**
 * Writes one batch inside the caller's transaction, in a fixed number of statements whatever
 * its size: one multi-row insert per table, one multi-row update for outcomes (outcomes of
 * commands decided in the same batch are folded into their insert), one update per ended
 * session. Every write is idempotent (inserts ignore an existing key, updates set the same
 * values), so retrying a batch whose commit outcome was unknown cannot fail or duplicate.
 */
export async function writeAuditBatch(
  db: Kysely<Database>,
  ops: ReadonlyArray<AuditOp>,
): Promise<void> {
  const sessions: Insertable<SessionsTable>[] = [];
  const commands: Insertable<CommandsTable>[] = [];
  const completions: CommandCompletedOp[] = [];
  const ends: SessionEndOp[] = [];
  for (const op of ops) {
    if (op.kind === 'session') sessions.push(sessionRow(op.record));
    else if (op.kind === 'decided') commands.push(commandRow(op.record));
    else if (op.kind === 'completed') completions.push(op);
    else ends.push(op);
  }
  const pending = commands.length > 0 ? foldOutcomes(commands, completions) : completions;

  if (sessions.length > 0) {
    await db
      .insertInto('sessions')
      .values(sessions)
      .onConflict((c) => c.column('id').doNothing())
      .execute();
  }
  if (commands.length > 0) {
    await db
      .insertInto('commands')
      .values(commands)
      .onConflict((c) => c.columns(['session_id', 'seq']).doNothing())
      .execute();
  }
  if (pending.length > 0) await updateOutcomes(db, pending);
  for (const end of ends) {
    await db
      .updateTable('sessions')
      .set({ ended_at: end.endedAt, end_reason: end.reason })
      .where('id', '=', end.sessionId)
      .where('ended_at', 'is', null)
      .execute();
  }
}

/** Puts outcomes into the rows about to be inserted; returns the completions left to update. */
function foldOutcomes(
  commands: Insertable<CommandsTable>[],
  completions: CommandCompletedOp[],
): CommandCompletedOp[] {
  if (completions.length === 0) return completions;
  const byKey = new Map<string, Insertable<CommandsTable>>();
  for (const row of commands) byKey.set(`${row.seq}:${row.session_id}`, row);
  const rest: CommandCompletedOp[] = [];
  for (const op of completions) {
    const row = byKey.get(`${op.seq}:${op.sessionId}`);
    if (row) Object.assign(row, outcomeColumns(op));
    else rest.push(op);
  }
  return rest;
}

/**
 * `UPDATE … FROM (VALUES …)`: the same text works on PostgreSQL and SQLite (≥ 3.33), whose
 * VALUES columns are both named column1…N. Casts on the first row type the columns for
 * PostgreSQL.
 */
async function updateOutcomes(
  db: Kysely<Database>,
  ops: ReadonlyArray<CommandCompletedOp>,
): Promise<void> {
  const rows = ops.map((op, index) => {
    const c = outcomeColumns(op);
    return index === 0
      ? sql`(cast(${op.sessionId} as text), cast(${op.seq} as bigint), cast(${c.outcome_tag} as text), cast(${c.outcome_rows} as bigint), cast(${c.error_code} as text), cast(${c.error_message} as text), cast(${c.duration_ms} as bigint), cast(${c.completed_at} as bigint))`
      : sql`(${op.sessionId}, ${op.seq}, ${c.outcome_tag}, ${c.outcome_rows}, ${c.error_code}, ${c.error_message}, ${c.duration_ms}, ${c.completed_at})`;
  });
  await sql`update commands set outcome_tag = v.column3, outcome_rows = v.column4, error_code = v.column5,
    error_message = v.column6, duration_ms = v.column7, completed_at = v.column8
    from (values ${sql.join(rows)}) as v
    where commands.session_id = v.column1 and commands.seq = v.column2`.execute(db);
}

function outcomeColumns(op: CommandCompletedOp) {
  const { outcome } = op;
  return {
    outcome_tag: outcome.tag === undefined ? null : clean(outcome.tag),
    outcome_rows: outcome.rows ?? null,
    error_code: outcome.error?.code ?? null,
    error_message: outcome.error ? clean(outcome.error.message) : null,
    duration_ms: Math.round(outcome.durationMs),
    completed_at: op.completedAt,
  };
}

function sessionRow(record: SessionRecord): Insertable<SessionsTable> {
  const { identity, client } = record;
  return {
    id: record.id,
    connector: record.connector,
    protocol: record.protocol,
    issuer: identity.issuer,
    issuer_name: identity.issuerName,
    subject: identity.subject,
    name: identity.name ?? null,
    groups: JSON.stringify(identity.groups),
    agent: identity.agent,
    client_address: client.address,
    client_port: client.port ?? null,
    client_tls: client.tls,
    target: record.target ? JSON.stringify(record.target) : null,
    started_at: record.startedAt,
    ended_at: null,
    end_reason: null,
  };
}

function commandRow(record: CommandRecord): Insertable<CommandsTable> {
  const { command, decision } = record;
  return {
    session_id: record.sessionId,
    seq: record.seq,
    at: record.at,
    text: clean(command.text),
    params: command.params ? JSON.stringify(command.params) : null,
    classes: JSON.stringify(command.classes),
    where_absent: command.whereAbsent ?? null,
    unclassifiable: command.unclassifiable ?? false,
    target: command.target ? JSON.stringify(command.target) : null,
    decision: decision.action,
    rule: decision.rule ?? null,
    reason: clean(decision.reason),
    ticket_id: record.ticketId ?? null,
    executed_text: record.executedText === undefined ? null : clean(record.executedText),
    // Every row carries every column: SQLite has no DEFAULT inside a multi-row VALUES.
    outcome_tag: null,
    outcome_rows: null,
    error_code: null,
    error_message: null,
    duration_ms: null,
    completed_at: null,
  };
}

/**
 * PostgreSQL text cannot hold NUL; a command from a binary-safe protocol (HTTP, Redis, SSH)
 * may contain one. It is recorded as U+2400 (␀) so the record commits instead of poisoning
 * the batch. JSON columns are unaffected (JSON escapes NUL).
 */
function clean(text: string): string {
  return text.includes('\0') ? text.replaceAll('\0', '\u2400') : text;
}
