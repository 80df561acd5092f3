import type {
  CommandData,
  OutcomeData,
  PolicyVersionData,
  PurgeData,
  SessionEndData,
  SessionStartData,
} from '../record/audit-event.js';

/** One line a person can read for a stored record (`data` is its canonical JSON). */
export function recordSummary(kind: string, data: string): string {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return '(unreadable record)';
  }
  switch (kind) {
    case 'session_start': {
      const { identity, client, protocol } = value as SessionStartData;
      const who = `${identity.name ?? identity.subject} (${identity.agent ? 'agent' : 'human'})`;
      return `${who} over ${protocol} from ${client.address}${client.tls ? ' with TLS' : ''}`;
    }
    case 'command': {
      const command = value as CommandData;
      const ticket = command.ticketId ? ` [ticket ${command.ticketId}]` : '';
      return `${command.decision.action}${ticket}: ${command.text}`;
    }
    case 'outcome':
      return outcomeSummary(value as OutcomeData);
    case 'session_end':
      return `ended: ${(value as SessionEndData).reason}`;
    case 'purge': {
      const purge = value as PurgeData;
      return `retention purged records ${purge.fromSeq}..${purge.toSeq}`;
    }
    case 'policy_version': {
      const policy = value as PolicyVersionData;
      const who = policy.author.name ?? policy.author.subject;
      const restores = policy.rollbackOf === undefined ? '' : ` (rollback to ${policy.rollbackOf})`;
      return `policy version ${policy.version}${restores} by ${who}${policy.reason ? `: ${policy.reason}` : ''}`;
    }
    default:
      return kind;
  }
}

/** The reported status (or row count) and time, or the error with its code: `ERROR E1: … (1 ms)`. */
export function outcomeSummary(outcome: OutcomeData): string {
  const what = outcome.error
    ? `ERROR${outcome.error.code ? ` ${outcome.error.code}` : ''}: ${outcome.error.message}`
    : (outcome.tag ?? (outcome.rows === undefined ? 'done' : `${outcome.rows} rows`));
  return `${what} (${outcome.durationMs} ms)`;
}
