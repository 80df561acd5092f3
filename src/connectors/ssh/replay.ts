import type { ReplayCommand } from '../../core/connector-module.js';

/**
 * One recorded SSH request as the client's terminal showed it, for `gatehouse sessions replay`:
 * the gateway's refusal as it wrote it on stderr (with exit status 126), or the recorded
 * terminal output (stdout and stderr, as the client saw them) and how the command ended.
 */
export function replaySshCommand(command: ReplayCommand): string[] {
  const { outcome } = command;
  if (command.executedText === undefined || !outcome) {
    const { action, rule, reason } = command.decision;
    const ticket = command.ticketId ? ` (ticket ${command.ticketId})` : '';
    const what =
      action === 'deny'
        ? `denied by ${rule ? `rule "${rule}"` : 'connector default'}`
        : 'not executed: held for review and not approved';
    return [`gatehouse: ${what}${ticket}: ${reason}`, '-- exit status 126'];
  }
  const lines: string[] = [];
  const result = outcome.result;
  if (result?.kind === 'terminal') {
    const text = result.events
      .filter((event) => event[1] === 'o')
      .map((event) => event[2])
      .join('');
    if (text !== '') {
      lines.push(...text.replace(/\r\n/g, '\n').replace(/\n$/, '').split('\n'));
    }
    if (result.truncated) lines.push('-- the record holds the start of the output only');
  }
  if (outcome.error) lines.push(`-- error: ${outcome.error.message}`);
  lines.push(`-- ${outcome.tag ?? 'ended'}, ${outcome.durationMs} ms`);
  return lines;
}
