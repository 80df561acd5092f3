import type { SessionWithCommands, StoredCommand } from '../store/records.js';
import { formatPsqlTable } from './psql-table.js';

/**
 * A recorded session as it happened, for `gatehouse sessions replay`: a header, then each
 * command in order with its decision, the text, what the client was shown (a psql-style
 * table for captured rows, the command tag, or the error) and how long it took.
 */
export function formatReplay(session: SessionWithCommands): string {
  const { identity, client } = session;
  const who = `${identity.name ?? identity.subject} (${identity.agent ? 'agent' : 'human'}, ${identity.issuerName})`;
  const out = [
    `-- session ${session.id}: ${who} on ${session.connector} (${session.protocol})`,
    `-- from ${client.address}${client.port ? `:${client.port}` : ''}${client.tls ? ' with TLS' : ' without TLS'}, started ${iso(session.startedAt)}`,
    '',
  ];
  for (const command of session.commands) out.push(formatCommand(command));
  out.push(
    session.endedAt === undefined
      ? '-- session still open (or its end was not recorded)'
      : `-- session ended ${iso(session.endedAt)}: ${session.endReason ?? ''}`,
  );
  return `${out.join('\n')}\n`;
}

/** One command: a comment line, the text as sent, then what came back. */
export function formatCommand(command: StoredCommand): string {
  const { decision } = command;
  const by = decision.rule ? `rule "${decision.rule}"` : 'connector default';
  const ticket = command.ticketId ? `, ticket ${command.ticketId}` : '';
  const lines = [`-- #${command.seq} ${iso(command.at)} ${decision.action} by ${by}${ticket}`];
  lines.push(command.text);
  if (command.executedText !== undefined && command.executedText !== command.text) {
    lines.push('-- the reviewer changed it; this ran instead:', command.executedText);
  }
  lines.push(...shown(command));
  return `${lines.join('\n')}\n`;
}

function shown(command: StoredCommand): string[] {
  if (command.executedText === undefined) {
    // The gate's wording, as the Postgres connector renders a refusal.
    const { action, rule, reason } = command.decision;
    const ticket = command.ticketId ? ` (ticket ${command.ticketId})` : '';
    const refusal =
      action === 'deny'
        ? `denied by ${rule ? `rule "${rule}"` : 'connector default'}`
        : 'not executed: held for review and not approved';
    return [`ERROR:  gatehouse: ${refusal}${ticket}`, `DETAIL:  ${reason}`];
  }
  const outcome = command.outcome;
  if (!outcome) return ['-- no outcome recorded (the session ended or the store was unavailable)'];
  const lines: string[] = [];
  if (outcome.result) {
    lines.push(formatPsqlTable(outcome.result, outcome.rows).replace(/\n$/, ''));
    if (outcome.result.truncated) {
      lines.push(`-- the record holds the first ${outcome.result.rows.length} row(s) only`);
    }
  } else if (outcome.tag !== undefined && !outcome.error) {
    lines.push(outcome.tag);
  }
  if (outcome.error) lines.push(`ERROR:  ${outcome.error.message}`);
  lines.push(`Time: ${outcome.durationMs} ms`);
  return lines;
}

const iso = (ms: number) => new Date(ms).toISOString();
