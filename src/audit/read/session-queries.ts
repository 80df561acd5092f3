import { type Kysely, type Selectable, sql } from 'kysely';
import type { Action } from '../../config/schema.js';
import type { AuditEventsTable, Database } from '../../store/database.js';
import type { Store } from '../../store/store.js';
import {
  type CommandData,
  type OutcomeData,
  type SessionEndData,
  type SessionStartData,
  storedAttributes,
} from '../record/audit-event.js';
import type {
  SessionQuery,
  SessionWithCommands,
  StoredCommand,
  StoredSession,
} from '../record/records.js';

const MAX_LIMIT = 1000;

/**
 * The store the session queries read, and its `beforeRead` hook: the gateway's audit sink
 * registers it (src/audit/start-audit.ts) so this process reads its own records at once.
 */
export type SessionSource = Pick<Store, 'db'> & Partial<Pick<Store, 'beforeRead'>>;

/**
 * Sessions matching the query, most recent first, read from the audit chain's records (the
 * records are the sessions; there is no second copy that could disagree with them).
 */
export async function listSessions(
  store: SessionSource,
  query: SessionQuery = {},
): Promise<StoredSession[]> {
  await store.beforeRead?.();
  return selectSessions(store.db, query);
}

/** One session with its commands in sequence order, or undefined (unknown, or its start purged). */
export async function getSession(
  store: SessionSource,
  id: string,
): Promise<SessionWithCommands | undefined> {
  await store.beforeRead?.();
  return selectSession(store.db, id);
}

async function selectSessions(db: Kysely<Database>, query: SessionQuery): Promise<StoredSession[]> {
  let select = db
    .selectFrom('audit_events as s')
    .select(['s.session_id', 's.connector', 's.at', 's.data'])
    .select((eb) => [
      eb
        .selectFrom('audit_events as c')
        .select(sql<number>`count(*)`.as('n'))
        .whereRef('c.session_id', '=', 's.session_id')
        .where('c.kind', '=', 'command')
        .as('command_count'),
      eb
        .selectFrom('audit_events as e')
        .select('e.data')
        .whereRef('e.session_id', '=', 's.session_id')
        .where('e.kind', '=', 'session_end')
        .orderBy('e.seq')
        .limit(1)
        .as('end_data'),
      eb
        .selectFrom('audit_events as e')
        .select('e.at')
        .whereRef('e.session_id', '=', 's.session_id')
        .where('e.kind', '=', 'session_end')
        .orderBy('e.seq')
        .limit(1)
        .as('ended_at'),
    ])
    // A literal, not a parameter: the partial indexes on session_start records then apply.
    .where('s.kind', '=', sql.lit('session_start'));
  if (query.connector !== undefined) select = select.where('s.connector', '=', query.connector);
  if (query.subject !== undefined) select = select.where('s.subject', '=', query.subject);
  if (query.since !== undefined) select = select.where('s.at', '>=', query.since);
  if (query.until !== undefined) select = select.where('s.at', '<', query.until);
  if (query.decision !== undefined) {
    const decision = query.decision;
    select = select.where(({ exists, selectFrom }) =>
      exists(
        selectFrom('audit_events as d')
          .select('d.seq')
          .whereRef('d.session_id', '=', 's.session_id')
          .where('d.kind', '=', 'command')
          .where('d.decision', '=', decision),
      ),
    );
  }
  const limit = Math.min(Math.max(Math.trunc(query.limit ?? 100), 1), MAX_LIMIT);
  const rows = await select
    .orderBy('s.at', 'desc')
    .orderBy('s.session_id', 'desc')
    .limit(limit)
    .execute();
  return rows.map((row) => {
    const session = toSession(row.session_id ?? '', row.connector ?? '', row.at, row.data);
    if (row.ended_at !== null && row.ended_at !== undefined) {
      session.endedAt = Number(row.ended_at);
      session.endReason = (JSON.parse(String(row.end_data)) as SessionEndData).reason;
    }
    session.commandCount = Number(row.command_count ?? 0);
    return session;
  });
}

async function selectSession(
  db: Kysely<Database>,
  id: string,
): Promise<SessionWithCommands | undefined> {
  const rows = await db
    .selectFrom('audit_events')
    .selectAll()
    .where('session_id', '=', id)
    .orderBy('seq')
    .execute();
  return sessionFromEvents(rows);
}

/** Folds one session's records (in chain order) into the session as it happened. */
export function sessionFromEvents(
  rows: ReadonlyArray<Selectable<AuditEventsTable>>,
): SessionWithCommands | undefined {
  const start = rows.find((row) => row.kind === 'session_start');
  if (!start) return undefined;
  const session = toSession(start.session_id ?? '', start.connector ?? '', start.at, start.data);
  const commands = new Map<number, StoredCommand>();
  for (const row of rows) {
    const seq = Number(row.command_seq);
    if (row.kind === 'command' && !commands.has(seq)) {
      commands.set(seq, toCommand(seq, Number(row.at), JSON.parse(row.data) as CommandData));
    } else if (row.kind === 'outcome') {
      const command = commands.get(seq);
      if (command && !command.outcome) {
        command.outcome = toOutcome(JSON.parse(row.data) as OutcomeData);
        command.completedAt = Number(row.at);
      }
    } else if (row.kind === 'session_end' && session.endedAt === undefined) {
      session.endedAt = Number(row.at);
      session.endReason = (JSON.parse(row.data) as SessionEndData).reason;
    }
  }
  const ordered = [...commands.values()].sort((a, b) => a.seq - b.seq);
  return { ...session, commandCount: ordered.length, commands: ordered };
}

function toSession(id: string, connector: string, at: number, data: string): StoredSession {
  const start = JSON.parse(data) as SessionStartData;
  const { identity, client } = start;
  return {
    id,
    connector,
    protocol: start.protocol,
    identity: {
      issuer: identity.issuer,
      issuerName: identity.issuerName,
      subject: identity.subject,
      ...(identity.name !== undefined && { name: identity.name }),
      groups: identity.groups,
      agent: identity.agent,
    },
    client: {
      address: client.address,
      ...(client.port !== undefined && { port: client.port }),
      tls: client.tls,
    },
    ...(start.target !== undefined && { target: start.target }),
    startedAt: Number(at),
    commandCount: 0,
  };
}

function toCommand(seq: number, at: number, data: CommandData): StoredCommand {
  const attributes = storedAttributes(data);
  return {
    seq,
    at,
    text: data.text,
    ...(data.params !== undefined && { params: data.params }),
    classes: data.classes,
    ...(attributes !== undefined && { attributes }),
    unclassifiable: data.unclassifiable === true,
    ...(data.target !== undefined && { target: data.target }),
    decision: {
      action: data.decision.action as Action,
      ...(data.decision.rule !== undefined && { rule: data.decision.rule }),
      reason: data.decision.reason,
    },
    ...(data.ticketId !== undefined && { ticketId: data.ticketId }),
    ...(data.executedText !== undefined && { executedText: data.executedText }),
  };
}

function toOutcome(data: OutcomeData): NonNullable<StoredCommand['outcome']> {
  return {
    ...(data.tag !== undefined && { tag: data.tag }),
    ...(data.rows !== undefined && { rows: data.rows }),
    ...(data.error !== undefined && { error: data.error }),
    durationMs: data.durationMs,
    ...(data.result !== undefined && { result: data.result }),
  };
}
