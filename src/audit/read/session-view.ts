import type { SessionWithCommands, StoredCommand, StoredSession } from '../record/records.js';

/** A session as the API and `--json` show it: times in ISO 8601. */
export function sessionView(session: StoredSession) {
  const { commands: _, ...rest } = session as Partial<SessionWithCommands> & StoredSession;
  return {
    ...rest,
    startedAt: iso(session.startedAt),
    endedAt: session.endedAt === undefined ? undefined : iso(session.endedAt),
  };
}

/** A session with its commands, times in ISO 8601. */
export function sessionDetailView(session: SessionWithCommands) {
  return { ...sessionView(session), commands: session.commands.map(commandView) };
}

export function commandView(command: StoredCommand) {
  return {
    ...command,
    at: iso(command.at),
    completedAt: command.completedAt === undefined ? undefined : iso(command.completedAt),
  };
}

const iso = (ms: number) => new Date(ms).toISOString();
