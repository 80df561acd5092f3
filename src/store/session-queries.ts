import { type Kysely, type Selectable, sql } from 'kysely';
import type { Action } from '../config/schema.js';
import type { CommandsTable, Database, SessionsTable } from './database.js';
import type { SessionQuery, SessionWithCommands, StoredCommand, StoredSession } from './records.js';

const MAX_LIMIT = 1000;

/** Sessions matching the query, most recent first. */
export async function listSessions(
  db: Kysely<Database>,
  query: SessionQuery = {},
): Promise<StoredSession[]> {
  let select = db
    .selectFrom('sessions')
    .selectAll('sessions')
    .select(
      sql<number>`(select count(*) from commands where commands.session_id = sessions.id)`.as(
        'command_count',
      ),
    );
  if (query.connector !== undefined) select = select.where('connector', '=', query.connector);
  if (query.subject !== undefined) select = select.where('subject', '=', query.subject);
  if (query.since !== undefined) select = select.where('started_at', '>=', query.since);
  if (query.until !== undefined) select = select.where('started_at', '<', query.until);
  const limit = Math.min(Math.max(Math.trunc(query.limit ?? 100), 1), MAX_LIMIT);
  const rows = await select
    .orderBy('started_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  return rows.map((row) => toSession(row, Number(row.command_count)));
}

/** One session with its commands in sequence order, or undefined. */
export async function getSession(
  db: Kysely<Database>,
  id: string,
): Promise<SessionWithCommands | undefined> {
  const row = await db.selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) return undefined;
  const commands = await db
    .selectFrom('commands')
    .selectAll()
    .where('session_id', '=', id)
    .orderBy('seq', 'asc')
    .execute();
  return { ...toSession(row, commands.length), commands: commands.map(toCommand) };
}

function toSession(row: Selectable<SessionsTable>, commandCount: number): StoredSession {
  return {
    id: row.id,
    connector: row.connector,
    protocol: row.protocol,
    identity: {
      issuer: row.issuer,
      issuerName: row.issuer_name,
      subject: row.subject,
      ...(row.name !== null && { name: row.name }),
      groups: JSON.parse(row.groups) as string[],
      agent: Boolean(row.agent),
    },
    client: {
      address: row.client_address,
      ...(row.client_port !== null && { port: Number(row.client_port) }),
      tls: Boolean(row.client_tls),
    },
    ...(row.target !== null && { target: JSON.parse(row.target) as Record<string, string> }),
    startedAt: Number(row.started_at),
    ...(row.ended_at !== null && { endedAt: Number(row.ended_at) }),
    ...(row.end_reason !== null && { endReason: row.end_reason }),
    commandCount,
  };
}

function toCommand(row: Selectable<CommandsTable>): StoredCommand {
  const completed = row.completed_at !== null;
  return {
    seq: Number(row.seq),
    at: Number(row.at),
    text: row.text,
    ...(row.params !== null && { params: JSON.parse(row.params) as Array<string | null> }),
    classes: JSON.parse(row.classes) as string[],
    ...(row.where_absent !== null && { whereAbsent: Boolean(row.where_absent) }),
    unclassifiable: Boolean(row.unclassifiable),
    ...(row.target !== null && { target: JSON.parse(row.target) as Record<string, string> }),
    decision: {
      action: row.decision as Action,
      ...(row.rule !== null && { rule: row.rule }),
      reason: row.reason,
    },
    ...(row.ticket_id !== null && { ticketId: row.ticket_id }),
    ...(row.executed_text !== null && { executedText: row.executed_text }),
    ...(completed && {
      outcome: {
        ...(row.outcome_tag !== null && { tag: row.outcome_tag }),
        ...(row.outcome_rows !== null && { rows: Number(row.outcome_rows) }),
        ...(row.error_message !== null && {
          error: {
            ...(row.error_code !== null && { code: row.error_code }),
            message: row.error_message,
          },
        }),
        durationMs: Number(row.duration_ms ?? 0),
      },
      completedAt: Number(row.completed_at),
    }),
  };
}
