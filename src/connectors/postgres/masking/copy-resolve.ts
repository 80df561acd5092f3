/**
 * Which columns a `COPY … TO STDOUT` sends, asked of the target for column masking: the
 * gateway sends its own Query just before the client's (same write, same session), and reads
 * the answer, which the client never sees, into the `CopyOut` the masking transform is handed
 * with the COPY's CopyOutResponse.
 */
import type { SqlClassification } from '../classify/classifier.js';
import {
  type CopyColumnRow,
  type CopyOut,
  copyColumns,
  copyColumnsQuery,
  copyOutStatement,
} from '../classify/copy-statement.js';
import type { OutputBatch } from '../protocol/batch.js';
import { readErrorSummary } from '../protocol/errors.js';
import type { FrameView } from '../protocol/frame-reader.js';
import * as fe from '../protocol/frontend.js';
import { BackendCode } from '../protocol/message-codes.js';
import type { Pending } from '../session/pending.js';

export interface CopyResolveContext {
  /** Messages waiting to be written to the target. */
  toTarget: OutputBatch;
  relay: { expect(pending: Pending): void };
}

/**
 * Column rules apply and the text starts with a COPY of a table to STDOUT: the gateway asks
 * the target, in this session and just before it, which columns that COPY sends (the answer
 * goes to the masking transform, never to the client). Only the first statement: a later one
 * may follow a `SET search_path` or `CREATE TEMP TABLE` of the same text.
 */
export function resolveCopy(
  ctx: CopyResolveContext,
  sql: string,
  classification: SqlClassification,
): CopyOut | undefined {
  if (!classification.classes.includes('copy_to')) return undefined;
  const statement = copyOutStatement(sql);
  if (!statement) return undefined;
  const copy: CopyOut = { statement };
  ctx.toTarget.add(fe.query(copyColumnsQuery(statement.relation)));
  ctx.relay.expect({ kind: 'resolve', resolves: copy });
  return copy;
}

/** What answers the gateway's own query (kept from the client); notices etc. pass as usual. */
export const RESOLVE_ANSWER = new Set<number>([
  BackendCode.RowDescription,
  BackendCode.DataRow,
  BackendCode.CommandComplete,
  BackendCode.EmptyQueryResponse,
  BackendCode.ErrorResponse,
  BackendCode.ReadyForQuery,
]);

/**
 * What the relay does with a frame of the answer: `drop` it, show it (`fatal`: a FATAL error,
 * the target is closing), or drop it and `shift` the `resolve` (the answer is complete).
 */
export type ResolveStep = 'drop' | 'fatal' | 'shift';

/** Reads the answers to `resolveCopy`'s queries, one at a time. */
export class CopyColumnsAnswer {
  /** The answer to the head `resolve` so far; undefined once it failed. */
  #rows: CopyColumnRow[] | undefined = [];

  /** Reads one frame (its type in RESOLVE_ANSWER) of the answer to `head`, a `resolve`. */
  read(frame: FrameView, head: Pending): ResolveStep {
    switch (frame.type) {
      case BackendCode.DataRow: // nspname, relname, attname, generated
        this.#rows?.push(copyColumnRow(frame.body()));
        return 'drop';
      case BackendCode.ErrorResponse: {
        this.#rows = undefined;
        const { severity } = readErrorSummary(frame.body());
        return severity === 'FATAL' || severity === 'PANIC' ? 'fatal' : 'drop';
      }
      case BackendCode.ReadyForQuery: {
        const rows = this.#rows;
        this.#rows = [];
        if (rows && head.resolves) {
          head.resolves.columns = copyColumns(head.resolves.statement, rows);
        }
        return 'shift';
      }
      default: // RowDescription, CommandComplete
        return 'drop';
    }
  }
}

/** A row of `copyColumnsQuery`'s answer (four text cells). */
function copyColumnRow(body: Buffer): CopyColumnRow {
  const cells: string[] = [];
  let at = 2;
  for (let i = 0; i < 4; i++) {
    const length = body.readInt32BE(at);
    at += 4;
    cells.push(length < 0 ? '' : body.toString('utf8', at, at + length));
    at += Math.max(length, 0);
  }
  return { schema: cells[0]!, table: cells[1]!, column: cells[2]!, generated: cells[3] === 't' };
}
