/**
 * Relays target responses to the client in bulk: frames are scanned in place and passed on as
 * views of the received chunk; only the messages that matter for bookkeeping are decoded.
 * https://www.postgresql.org/docs/current/protocol-flow.html
 */
import type { CopyOut } from '../classify/copy-statement.js';
import { CopyColumnsAnswer, RESOLVE_ANSWER } from '../masking/copy-resolve.js';
import { PostgresResultCapture } from '../masking/result-capture.js';
import type { OutputBatch } from '../protocol/batch.js';
import { readErrorSummary, withRoutine } from '../protocol/errors.js';
import type { FrameReader } from '../protocol/frame-reader.js';
import { BackendCode, TransactionStatus } from '../protocol/message-codes.js';
import { readColumns, readParameterTypes } from './modify-probe.js';
import { type Pending, rowsOfTag } from './pending.js';
import { type SettleContext, settle } from './settle.js';

/**
 * Rewrites a response message before the client sees it (masking hangs here). Called only for
 * RowDescription, DataRow, CopyData, ErrorResponse, NoticeResponse and NotificationResponse,
 * and only when set; also shown CommandComplete, EmptyQueryResponse, PortalSuspended,
 * ParameterDescription and NoData so it can tell which description the next rows belong to,
 * including the answers to the gateway's own Describe (which the client never sees) and a
 * NoData made by the gateway before rows that nothing describes. A CopyOutResponse comes with
 * the COPY's resolved columns (`copy`) when the gateway resolved them (column rules only).
 * `source` is what the frame answers (the head of the queue when it arrived): masking by
 * lineage reads the SQL of a Query or described statement from it.
 * Returns the frame to send instead, or null to drop it.
 */
export type ResponseTransform = (
  type: number,
  frame: Buffer,
  copy?: CopyOut,
  source?: Pending,
) => Buffer | null;

export interface RelayContext extends SettleContext {
  transform?: ResponseTransform;
}

export class ProtocolDesyncError extends Error {
  override readonly name = 'ProtocolDesyncError';
}

const SKIPPED = { message: 'not executed: an earlier message of the pipeline failed' };

export class ResponseRelay {
  readonly queue: Pending[] = [];
  /** Transaction status from the target's last ReadyForQuery. */
  txStatus: number = TransactionStatus.Idle;
  /** The target sent a FATAL/PANIC error: it is about to close. */
  sawFatal = false;
  readonly #reader: FrameReader;
  readonly #ctx: RelayContext;
  /** Undefined when results are not captured (`audit.capture` off): no per-row work at all. */
  readonly #results: PostgresResultCapture | undefined;
  #head = 0;
  /** The answer to the gateway's own queries for COPY columns (the head `resolve`). */
  readonly #copyAnswer = new CopyColumnsAnswer();
  /** Cancels waiting for the gateway's own hidden message at the head to be answered. */
  #afterHidden: Array<() => void> = [];

  constructor(reader: FrameReader, ctx: RelayContext) {
    this.#reader = reader;
    this.#ctx = ctx;
    const limits = ctx.gate.captureLimits;
    this.#results = limits && new PostgresResultCapture(limits);
  }

  get outstanding(): number {
    return this.queue.length - this.#head;
  }

  /**
   * An extended-protocol message failed and no Sync was queued behind it yet: the target skips
   * whatever comes next up to the client's Sync, so the gateway must not wait for an answer to
   * a message of its own until then.
   */
  skippingUntilSync = false;

  expect(pending: Pending): void {
    if (pending.kind === 'sync' || pending.kind === 'query') this.skippingUntilSync = false;
    this.queue.push(pending);
  }

  /** Frames everything received so far into `out`, updating bookkeeping on the way. */
  relay(out: OutputBatch): void {
    const r = this.#reader;
    const transform = this.#ctx.transform;
    const results = this.#results;
    while (r.next()) {
      let replacement: Buffer | null | undefined;
      /** Answers the gateway's own Describe: seen by the transform and the capture only. */
      let hidden = false;
      /** The received frame as the client must see it, before masking. */
      let frame: Buffer | undefined;
      const head = this.#peek();
      if (head?.kind === 'resolve' && RESOLVE_ANSWER.has(r.type)) {
        const step = this.#copyAnswer.read(r, head);
        if (step === 'shift') this.#shift();
        else if (step === 'fatal') {
          this.sawFatal = true;
          out.addRange(r.buf, r.start, r.end);
        }
        continue;
      }
      if (head?.probe && this.#probeAnswer(head, out)) continue;
      if (transform && head?.undescribed) this.#undescribed(transform, results);
      if (results) results.before(r.type, this.#peek());
      switch (r.type) {
        case BackendCode.DataRow:
        case BackendCode.CopyData:
          break;
        case BackendCode.RowDescription:
        case BackendCode.NoData:
          if (this.#peek()?.kind === 'describe') hidden = this.#shift().injected === true;
          break;
        case BackendCode.CommandComplete:
          this.#commandDone(r.buf.toString('utf8', r.bodyStart, r.end - 1));
          break;
        case BackendCode.EmptyQueryResponse:
          this.#commandDone('');
          break;
        case BackendCode.PortalSuspended:
          this.#expectHead('execute');
          settle(this.#ctx, this.#shift(), true, false);
          break;
        case BackendCode.ErrorResponse:
          if (this.#peek()?.injected) {
            // The gateway's Describe failed (the portal is gone, or the transaction aborted), or
            // its Parse/Bind of a reviewer's modified command did: the target skips the Execute
            // behind it, which would have failed alike. The client sent none of these, so the
            // error is shown as its Execute's.
            const describe = this.#peek()!.kind === 'describe';
            while (this.#peek()?.injected) this.#shift();
            this.#expectHead('execute');
            if (describe) {
              frame = withRoutine(
                r.frame(),
                'exec_describe_portal_message',
                'exec_execute_message',
              );
            }
          }
          replacement = this.#error(r.body());
          break;
        case BackendCode.ReadyForQuery:
          this.#ready(r.buf[r.bodyStart]!);
          break;
        case BackendCode.ParseComplete:
          // The gateway's own (a modified command's statement and portal): not the client's.
          if (this.#peek()?.injected) hidden = this.#shift().injected === true;
          else {
            this.#expectHead('parse');
            settle(this.#ctx, this.#shift(), true, false);
          }
          break;
        case BackendCode.BindComplete:
          // The gateway's own (a modified command's statement and portal): not the client's.
          if (this.#peek()?.injected) hidden = this.#shift().injected === true;
          else {
            this.#expectHead('bind');
            settle(this.#ctx, this.#shift(), true, false);
          }
          break;
        case BackendCode.CloseComplete:
          // The gateway's own (a modified command's statement and portal): not the client's.
          if (this.#peek()?.injected) hidden = this.#shift().injected === true;
          else {
            this.#expectHead('close');
            settle(this.#ctx, this.#shift(), true, false);
          }
          break;
        case BackendCode.BackendKeyData: // only ever the gateway's own reaches a client
          replacement = null;
          break;
      }
      if (transform && replacement === undefined && TRANSFORMED.has(r.type)) {
        const copy = r.type === BackendCode.CopyOutResponse ? this.#takeCopy() : undefined;
        replacement = transform(r.type, frame ?? r.frame(), copy, head);
      } else if (replacement === undefined) replacement = frame;
      if (
        results &&
        (r.type === BackendCode.DataRow || r.type === BackendCode.RowDescription) &&
        replacement !== null
      ) {
        // What the client was sent (or, hidden, would have been), i.e. after masking.
        if (replacement === undefined) results.frame(r.type, r.buf, r.start, r.end, this.#peek());
        else results.frame(r.type, replacement, 0, replacement.length, this.#peek());
      }
      if (results && r.type === BackendCode.CopyData && replacement !== null) {
        if (replacement === undefined) results.copyData(r.buf, r.start, r.end);
        else results.copyData(replacement, 0, replacement.length);
      }
      if (hidden) continue;
      if (replacement === undefined) out.addRange(r.buf, r.start, r.end);
      else if (replacement !== null) out.add(replacement);
    }
  }

  /**
   * An answer to the gateway's own probe of a modified command (see modify-probe.ts): given to
   * the probe, never shown to the client, the masking transform or the capture. A failed Parse
   * ends the probe (the target now skips up to Sync); its error is the probe's, for the client's
   * Execute. False for a frame that is not the probe's answer (a notice): handled as usual.
   */
  #probeAnswer(head: Pending, out: OutputBatch): boolean {
    const r = this.#reader;
    const probe = head.probe!;
    const answered = () => this.#shift().answered?.();
    switch (r.type) {
      case BackendCode.ParseComplete:
      case BackendCode.CloseComplete:
        answered();
        return true;
      case BackendCode.ParameterDescription:
        probe.result[head.probeSide ?? 'original'].params = readParameterTypes(r.buf, r.bodyStart);
        return true;
      case BackendCode.RowDescription:
        probe.result[head.probeSide ?? 'original'].columns = readColumns(r.buf, r.bodyStart);
        answered();
        return true;
      case BackendCode.NoData:
        probe.result[head.probeSide ?? 'original'].columns = null;
        answered();
        return true;
      case BackendCode.ErrorResponse: {
        const summary = readErrorSummary(r.body());
        probe.result.error = { code: summary.code, message: summary.message };
        probe.result.errorFrame = Buffer.from(r.frame());
        if (summary.severity === 'FATAL' || summary.severity === 'PANIC') {
          this.sawFatal = true;
          out.addRange(r.buf, r.start, r.end);
        }
        while (this.#peek()?.probe === probe) answered();
        return true;
      }
      default:
        return false;
    }
  }

  /** The COPY resolved for the head Query, once: a later COPY of the same Query has none. */
  #takeCopy(): CopyOut | undefined {
    const head = this.#peek();
    const copy = head?.copy;
    if (copy) head.copy = undefined;
    return copy;
  }

  /** The head Execute's rows have no description: no earlier one may be taken for them. */
  #undescribed(transform: ResponseTransform, results: PostgresResultCapture | undefined): void {
    this.#peek()!.undescribed = undefined;
    transform(BackendCode.NoData, NO_DATA);
    results?.forget();
  }

  #peek(): Pending | undefined {
    return this.queue[this.#head];
  }

  /**
   * Runs `send` (a CancelRequest to the target) once the target is on a client's command: at
   * once, unless the head is the gateway's own hidden message (the COPY column query, an
   * injected Describe), which a cancel would hit instead of the client's command behind it;
   * then when that is answered.
   */
  whenClientCommand(send: () => void): void {
    if (isHidden(this.#peek())) this.#afterHidden.push(send);
    else send();
  }

  #releaseCancels(): void {
    if (this.#afterHidden.length === 0 || isHidden(this.#peek())) return;
    const waiting = this.#afterHidden;
    this.#afterHidden = [];
    for (const send of waiting) send();
  }

  #shift(): Pending {
    const item = this.queue[this.#head]!;
    this.queue[this.#head++] = undefined as unknown as Pending;
    if (this.#head > 64 && this.#head * 2 > this.queue.length) {
      this.queue.splice(0, this.#head);
      this.#head = 0;
    }
    if (isHidden(item)) this.#releaseCancels();
    return item;
  }

  #expectHead(kind: Pending['kind']): void {
    const head = this.#peek();
    if (head?.kind !== kind) {
      throw new ProtocolDesyncError(
        `target answered ${kind} but ${head?.kind ?? 'nothing'} was pending`,
      );
    }
  }

  #commandDone(tag: string): void {
    const head = this.#peek();
    if (head?.kind === 'execute') {
      head.tag = tag;
      head.rows = rowsOfTag(tag);
      settle(this.#ctx, this.#shift(), true, false);
    } else if (head?.kind === 'query') {
      head.tag = tag;
      const rows = rowsOfTag(tag);
      if (rows !== undefined) head.rows = (head.rows ?? 0) + rows;
    } else {
      throw new ProtocolDesyncError(
        `command completion while ${head?.kind ?? 'nothing'} was pending`,
      );
    }
  }

  #error(body: Buffer): Buffer | undefined {
    const summary = readErrorSummary(body);
    if (summary.severity === 'FATAL' || summary.severity === 'PANIC') this.sawFatal = true;
    const head = this.#peek();
    if (!head) return undefined;
    const replacement = head.refusal;
    if (head.kind !== 'sync') head.error ??= { code: summary.code, message: summary.message };
    // A Sync that fails (e.g. a deferred constraint at the implicit commit) is still answered
    // by ReadyForQuery; so is a simple Query.
    if (head.kind === 'query' || head.kind === 'sync') return replacement;
    // Extended protocol: the target now skips everything up to the next Sync.
    settle(this.#ctx, this.#shift(), false, false);
    while (this.#head < this.queue.length && this.#peek()!.kind !== 'sync') {
      const skipped = this.#shift();
      skipped.error ??= SKIPPED;
      settle(this.#ctx, skipped, false, true);
    }
    if (this.#head >= this.queue.length) this.skippingUntilSync = true;
    return replacement;
  }

  #ready(status: number): void {
    const head = this.#peek();
    if (head?.kind !== 'sync' && head?.kind !== 'query') {
      throw new ProtocolDesyncError(`ReadyForQuery while ${head?.kind ?? 'nothing'} was pending`);
    }
    this.#shift();
    this.txStatus = status;
    if (head.kind === 'query') settle(this.#ctx, head, head.error === undefined, false);
    if (status === TransactionStatus.Idle) this.#ctx.portals.clearCommitted();
  }
}

const NO_DATA = Buffer.from([BackendCode.NoData, 0, 0, 0, 4]);
const TRANSFORMED = new Set<number>([
  BackendCode.RowDescription,
  BackendCode.DataRow,
  BackendCode.CopyData,
  BackendCode.ErrorResponse,
  BackendCode.NoticeResponse,
  BackendCode.NotificationResponse,
  BackendCode.CommandComplete,
  BackendCode.EmptyQueryResponse,
  BackendCode.PortalSuspended,
  BackendCode.ParameterDescription,
  BackendCode.NoData,
  BackendCode.CopyOutResponse,
]);

/** The gateway's own message, answered to nobody: the COPY column query, an injected Describe. */
function isHidden(pending: Pending | undefined): boolean {
  return pending?.kind === 'resolve' || pending?.injected === true;
}
