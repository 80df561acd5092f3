import type { Logger } from 'pino';
import type { GateSession } from '../../../core/gate.js';
import type { PreparedStatements, SqlClassifier } from '../classify/classifier.js';
import type { OutputBatch } from '../protocol/batch.js';
import type { NameTable } from './names.js';
import type { Portal, Statement } from './pending.js';
import type { ResponseRelay } from './relay.js';

/** What the message handler needs from its session. */
export interface MessageContext {
  gate: GateSession;
  classifier: SqlClassifier;
  prepared: PreparedStatements;
  statements: NameTable<Statement>;
  portals: NameTable<Portal>;
  relay: ResponseRelay;
  /**
   * Column rules mask by the rows' description: an Execute of a portal whose description the
   * response stream will not carry is preceded by the gateway's own Describe of it.
   */
  describePortals: boolean;
  /** Responses go through a masking transform. */
  masked: boolean;
  /** Messages waiting to be written to the target. */
  toTarget: OutputBatch;
  /** Writes what is batched for the target now. */
  flushTarget(): void;
  /** Writes gateway-made responses straight to the client (nothing may be outstanding). */
  writeClient(bytes: Buffer): void;
  /** The client sent Terminate. */
  terminate(): void;
  target: Readonly<Record<string, string>>;
  logger: Logger;
}
