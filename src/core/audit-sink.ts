import type { Command, CommandOutcome } from './command.js';
import type { Decision } from './decision.js';
import type { Identity } from './identity.js';

export interface ClientInfo {
  address: string;
  port?: number;
  tls: boolean;
  /** Why the client says it connects (e.g. `gatehouse exec --reason`); shown to reviewers. */
  reason?: string;
}

export interface SessionRecord {
  id: string;
  connector: string;
  protocol: string;
  identity: Identity;
  client: ClientInfo;
  /** Target database/namespace/host the session opened, when known at start. */
  target?: Record<string, string>;
  startedAt: number;
}

export interface CommandRecord {
  sessionId: string;
  /** 1-based position of the command in its session. */
  seq: number;
  at: number;
  command: Command;
  decision: Decision;
  ticketId?: string;
  /** Text that actually went to the target (differs from command.text after a modify). */
  executedText?: string;
}

/**
 * Where the gate writes what happened. `commandDecided` resolves only once the record is
 * durable when durability is strict, so a command never reaches the target unrecorded.
 * Implementations throw GatehouseError('store_unavailable') when they cannot commit.
 */
export interface AuditSink {
  sessionStarted(session: SessionRecord): Promise<void>;
  commandDecided(record: CommandRecord): Promise<void>;
  commandCompleted(sessionId: string, seq: number, outcome: CommandOutcome): void;
  sessionEnded(sessionId: string, reason: string, endedAt: number): Promise<void>;
}
