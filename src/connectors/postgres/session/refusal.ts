/**
 * How a refused command is answered: exactly where, and as, the target's own error would have
 * been. https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-EXT-QUERY
 */
import type { Logger } from 'pino';
import { toGatehouseError } from '../../../core/errors.js';
import { readyForQuery } from '../protocol/backend.js';
import type { OutputBatch } from '../protocol/batch.js';
import { renderGatehouseError } from '../protocol/errors.js';
import * as fe from '../protocol/frontend.js';
import { TransactionStatus } from '../protocol/message-codes.js';
import type { Pending } from './pending.js';
import type { ResponseRelay } from './relay.js';

export interface RefusalContext {
  relay: ResponseRelay;
  toTarget: OutputBatch;
  writeClient(bytes: Buffer): void;
  logger: Logger;
}

/** A statement no client can run: the target answers with an error (34000) and no effect. */
const FAILING_QUERY = 'CLOSE "\u0001gatehouse refused"';

/**
 * Answers a refusal. A simple Query refused outside a transaction, with nothing outstanding, is
 * answered by the gateway alone (undefined is returned). Otherwise the target is sent a message
 * that fails without effect, and the returned Pending (to be expected by the relay) swaps the
 * target's error for the gateway's: responses stay in order, the target skips the rest of an
 * extended-protocol pipeline up to Sync as it would have, and an open transaction fails on the
 * target too, so a later COMMIT cannot commit what the client was told had failed.
 */
export function refuse(ctx: RefusalContext, err: unknown, simple: boolean): Pending | undefined {
  const error = toGatehouseError(err);
  if (error.code === 'internal') ctx.logger.error({ err }, 'gate check failed');
  const refusal = renderGatehouseError(error);
  if (!simple) {
    ctx.toTarget.add(fe.executeMissingPortal());
    return { kind: 'execute', refusal };
  }
  if (ctx.relay.outstanding === 0 && ctx.relay.txStatus === TransactionStatus.Idle) {
    ctx.writeClient(Buffer.concat([refusal, readyForQuery('I')]));
    return undefined;
  }
  ctx.toTarget.add(fe.query(FAILING_QUERY));
  return { kind: 'query', refusal };
}
