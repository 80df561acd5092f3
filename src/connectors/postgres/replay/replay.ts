import type { ReplayCommand } from '../../../core/connector-module.js';
import { formatPsqlTable } from './psql-table.js';

/**
 * One recorded command as psql showed it, for `gatehouse sessions replay`: the gateway's
 * refusal as the connector sends it (ERROR and DETAIL), or the captured rows as a psql table,
 * the command tag, the error, and `Time:` as psql's `\timing` prints it.
 */
export function replayPostgresCommand(command: ReplayCommand): string[] {
  const { outcome } = command;
  if (command.executedText === undefined || !outcome) {
    // The gate's wording, as the connector renders a refusal.
    const { action, rule, reason } = command.decision;
    const ticket = command.ticketId ? ` (ticket ${command.ticketId})` : '';
    const refusal =
      action === 'deny'
        ? `denied by ${rule ? `rule "${rule}"` : 'connector default'}`
        : 'not executed: held for review and not approved';
    return [`ERROR:  gatehouse: ${refusal}${ticket}`, `DETAIL:  ${reason}`];
  }
  const lines: string[] = [];
  const { result } = outcome;
  if (result && (result.kind === undefined || result.kind === 'table')) {
    lines.push(formatPsqlTable(result, outcome.rows).replace(/\n$/, ''));
    if (result.truncated) {
      lines.push(`-- the record holds the first ${result.rows.length} row(s) only`);
    }
  } else if (result?.kind === 'terminal') {
    // COPY … TO STDOUT: the lines as psql printed them, then the tag.
    const text = result.events.map(([, , data]) => data).join('');
    if (text) lines.push(text.replace(/\n$/, ''));
    if (result.truncated) lines.push('-- the record holds the first lines only');
    if (outcome.tag !== undefined && !outcome.error) lines.push(outcome.tag);
  } else if (outcome.tag !== undefined && !outcome.error) {
    lines.push(outcome.tag);
  }
  if (outcome.error) lines.push(`ERROR:  ${outcome.error.message}`);
  lines.push(`Time: ${outcome.durationMs} ms`);
  return lines;
}
