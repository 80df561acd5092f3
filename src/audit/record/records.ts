import type { Action } from '../../config/schema.js';
import type { ClientInfo } from '../../core/audit-sink.js';
import type { CommandOutcome } from '../../core/command.js';
import type { Decision } from '../../core/decision.js';
import type { Identity } from '../../core/identity.js';

/** A session as the store returns it. */
export interface StoredSession {
  id: string;
  connector: string;
  protocol: string;
  identity: Pick<Identity, 'issuer' | 'issuerName' | 'subject' | 'name' | 'groups' | 'agent'>;
  client: ClientInfo;
  target?: Record<string, string>;
  startedAt: number;
  endedAt?: number;
  endReason?: string;
  /** Number of command records in the session. */
  commandCount: number;
}

/** A command record as the store returns it, outcome (and captured result) once it completed. */
export interface StoredCommand {
  seq: number;
  at: number;
  text: string;
  params?: Array<string | null>;
  classes: string[];
  /** Protocol facts the connector's rule conditions test (`Command.attributes`). */
  attributes?: Record<string, string | boolean>;
  unclassifiable: boolean;
  target?: Record<string, string>;
  decision: Pick<Decision, 'action' | 'rule' | 'reason'>;
  ticketId?: string;
  executedText?: string;
  outcome?: CommandOutcome;
  completedAt?: number;
}

export interface SessionWithCommands extends StoredSession {
  /** In sequence order. */
  commands: StoredCommand[];
}

export interface SessionQuery {
  connector?: string;
  subject?: string;
  /** Sessions started at or after (epoch ms). */
  since?: number;
  /** Sessions started before (epoch ms). */
  until?: number;
  /** Only sessions with at least one command that got this decision. */
  decision?: Action;
  /** Most recent first; default 100, at most 1000. */
  limit?: number;
}
