import type { CapturedTerminal, TerminalEvent } from '../../core/command.js';
import type { SessionWithCommands } from '../record/records.js';
import { toAsciicast } from '../record/terminal-recorder.js';

/**
 * A session's terminal recordings (each exec's output, each shell) as one asciicast v2 stream
 * for players (the console's asciinema-player): each command's events shifted to when the
 * command started, after a marker (`m`) naming it; the header's size is the first recording's.
 * Undefined when the session recorded no terminal.
 */
export function sessionRecording(session: SessionWithCommands): string | undefined {
  const recorded = session.commands.flatMap((command) => {
    const result = command.outcome?.result;
    return result?.kind === 'terminal' ? [{ command, result }] : [];
  });
  const first = recorded[0];
  if (!first) return undefined;
  const startedAt = first.command.at;
  const events: TerminalEvent[] = [];
  let truncated = false;
  let last = 0;
  for (const { command, result } of recorded) {
    const offset = Math.max(last, (command.at - startedAt) / 1000);
    events.push([round(offset), 'm', `#${command.seq} ${command.text}`]);
    for (const [time, type, data] of result.events) {
      last = Math.max(last, offset + time);
      events.push([round(offset + time), type, data]);
    }
    truncated ||= result.truncated;
  }
  const merged: CapturedTerminal = {
    kind: 'terminal',
    header: {
      version: 2,
      width: first.result.header.width,
      height: first.result.header.height,
      timestamp: Math.floor(startedAt / 1000),
    },
    events,
    truncated,
  };
  return toAsciicast(merged);
}

const round = (seconds: number) => Math.round(seconds * 1_000_000) / 1_000_000;
