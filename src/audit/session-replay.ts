import type { ReplayCommand, ReplayRenderer } from '../core/connector-module.js';
import { replayPlainly } from './plain-replay.js';
import type { SessionWithCommands, StoredCommand } from './record/records.js';

/**
 * A recorded session as it happened, for `gatehouse sessions replay`: a header, then each
 * command in order with its decision, the text and what the client was shown, then how the
 * session ended. What the client was shown is the protocol's to render: `replay` is the
 * `replay` of the connector module for `session.protocol` (the caller looks it up in the
 * connector registry); without one, results are rendered plainly.
 */
export function formatReplay(
  session: SessionWithCommands,
  replay: ReplayRenderer = replayPlainly,
): string {
  const { identity, client } = session;
  const who = `${identity.name ?? identity.subject} (${identity.agent ? 'agent' : 'human'}, ${identity.issuerName})`;
  const out = [
    `-- session ${session.id}: ${who} on ${session.connector} (${session.protocol})`,
    `-- from ${client.address}${client.port ? `:${client.port}` : ''}${client.tls ? ' with TLS' : ' without TLS'}, started ${iso(session.startedAt)}`,
    '',
  ];
  for (const command of session.commands) out.push(formatCommand(command, replay));
  out.push(
    session.endedAt === undefined
      ? '-- session still open (or its end was not recorded)'
      : `-- session ended ${iso(session.endedAt)}: ${session.endReason ?? ''}`,
  );
  return `${out.join('\n')}\n`;
}

/** One command: a comment line, the text as sent, then what came back. */
export function formatCommand(
  command: StoredCommand,
  replay: ReplayRenderer = replayPlainly,
): string {
  const { decision } = command;
  const by = decision.rule ? `rule "${decision.rule}"` : 'connector default';
  const ticket = command.ticketId ? `, ticket ${command.ticketId}` : '';
  const lines = [`-- #${command.seq} ${iso(command.at)} ${decision.action} by ${by}${ticket}`];
  lines.push(command.text);
  if (command.executedText !== undefined && command.executedText !== command.text) {
    lines.push('-- the reviewer changed it; this ran instead:', command.executedText);
  }
  lines.push(...shown(command, replay));
  return `${lines.join('\n')}\n`;
}

function shown(command: ReplayCommand, replay: ReplayRenderer): string[] {
  if (command.executedText !== undefined && !command.outcome) {
    return ['-- no outcome recorded (the session ended or the store was unavailable)'];
  }
  return replay(command);
}

const iso = (ms: number) => new Date(ms).toISOString();
