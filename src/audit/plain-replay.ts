import type { CapturedResult } from '../core/command.js';
import type { ReplayCommand } from '../core/connector-module.js';

/**
 * What the client was shown, for a protocol without a connector module (or whose module is not
 * known to the reader): the refusal, a table as plain rows, a terminal stream as its text, an
 * exchange as a status line, then any status, error and the time taken. Lines the gateway adds
 * start with `--`.
 */
export function replayPlainly(command: ReplayCommand): string[] {
  const { outcome } = command;
  if (command.executedText === undefined || !outcome) return refusal(command);
  const lines: string[] = [];
  if (outcome.result) lines.push(...plainResult(outcome.result, outcome.rows));
  else if (outcome.tag !== undefined && !outcome.error) lines.push(outcome.tag);
  if (outcome.error) {
    lines.push(
      `error${outcome.error.code ? ` ${outcome.error.code}` : ''}: ${outcome.error.message}`,
    );
  }
  lines.push(`-- took ${outcome.durationMs} ms`);
  return lines;
}

/** The gate's refusal: denied, or held for review and not approved. */
function refusal(command: ReplayCommand): string[] {
  const { action, rule, reason } = command.decision;
  const ticket = command.ticketId ? ` (ticket ${command.ticketId})` : '';
  const what =
    action === 'deny'
      ? `denied by ${rule ? `rule "${rule}"` : 'connector default'}`
      : 'not executed: held for review and not approved';
  return [`-- gatehouse: ${what}${ticket}: ${reason}`];
}

function plainResult(result: CapturedResult, count: number | undefined): string[] {
  switch (result.kind) {
    case 'terminal': {
      const text = result.events
        .filter((event) => event[1] === 'o')
        .map((event) => event[2])
        .join('');
      const lines = text === '' ? [] : text.replace(/\r\n/g, '\n').replace(/\n$/, '').split('\n');
      if (result.truncated) lines.push('-- the record holds the start of the output only');
      return lines;
    }
    case 'exchange': {
      const status = result.status === undefined ? 'no response' : String(result.status);
      const lines = [`${result.method} ${result.target} -> ${status}`];
      if (result.body !== undefined && result.body !== '') lines.push(...result.body.split('\n'));
      if (result.truncated) lines.push('-- the record holds the start of the response only');
      return lines;
    }
    default: {
      const lines = [result.columns.join(' | ')];
      for (const row of result.rows) {
        lines.push(row.map((value) => (value ?? '').replace(/\n/g, '\\n')).join(' | '));
      }
      const total = count ?? result.rows.length;
      lines.push(`(${total} ${total === 1 ? 'row' : 'rows'})`);
      if (result.truncated) {
        lines.push(`-- the record holds the first ${result.rows.length} row(s) only`);
      }
      return lines;
    }
  }
}
