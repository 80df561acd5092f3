/** How a recorded request replays: the response status and the start of its body. */
import type { ReplayCommand } from '../../core/connector-module.js';

export function replayKubernetesCommand(command: ReplayCommand): string[] {
  const outcome = command.outcome;
  if (!outcome) {
    return [
      command.decision.action === 'deny'
        ? `Error from server (Forbidden): ${command.decision.reason}`
        : '(not forwarded)',
    ];
  }
  const lines: string[] = [];
  const result = outcome.result;
  if (result?.kind === 'exchange') {
    lines.push(`${result.method} ${result.target} → ${result.status ?? 'no response'}`);
    if (result.body) lines.push(result.body + (result.truncated ? '\n…' : ''));
  } else if (result?.kind === 'terminal') {
    lines.push(
      result.events
        .filter(([, type]) => type === 'o')
        .map(([, , data]) => data)
        .join('') + (result.truncated ? '\n…' : ''),
    );
  } else if (outcome.tag) {
    lines.push(outcome.tag);
  }
  if (outcome.error) lines.push(`Error from server: ${outcome.error.message}`);
  lines.push(`(${outcome.durationMs} ms)`);
  return lines;
}
