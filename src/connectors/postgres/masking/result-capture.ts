/**
 * Captures the start of each command's result for the audit record (`CommandOutcome.result`),
 * from the frames the relay sends the client, i.e. after the masking transform. The relay only
 * creates one when `GateSession.captureLimits` is set; rows past the cap are counted as
 * truncation and never decoded.
 */
import { ResultCapture } from '../../../audit/record/result-capture.js';
import type { CapturedTerminal, CaptureLimits, TerminalEvent } from '../../../core/command.js';
import { BackendCode } from '../protocol/message-codes.js';
import type { Pending } from '../session/pending.js';

/** Type OIDs psql right-aligns (print.c `column_type_alignment`): int2/4/8, oid, xid, cid, float4/8, money, numeric, xid8. */
export const NUMERIC_TYPE_OIDS: ReadonlySet<number> = new Set([
  20, 21, 23, 26, 28, 29, 700, 701, 790, 1700, 5069,
]);

/** Types whose binary form is their text (jsonb after a version byte). */
const TEXT_LIKE = new Set([25, 1043, 1042, 19, 114, 142, 705, 3802]);
const JSONB_OID = 3802;

interface Description {
  names: string[];
  numeric: boolean[];
  /** Per column: sent in binary format and not text-like (captured as `\x` hex). */
  hex: boolean[];
  /** Per column: binary jsonb (a version byte precedes the text). */
  jsonb: boolean[];
}

/**
 * Follows result descriptions the way the client does: a RowDescription describes the rows up to
 * the next CommandComplete/EmptyQueryResponse/ErrorResponse (a suspended portal keeps it for its
 * next Execute); one answering a Describe of a statement (after ParameterDescription) describes
 * no rows. Rows without a description are not captured (their column names are unknown).
 *
 * Binary-format values: text-like types (text, varchar, json, …, and masked columns, which are
 * text) as their text; any other type as `\x` followed by the hex of the bytes.
 * A result set that ends in an error is dropped, as psql then shows only the error; the first
 * complete set of a command is kept and any later set only marks it truncated.
 */
export class PostgresResultCapture {
  readonly #limits: CaptureLimits;
  #description: Description | undefined;
  #suspended: Description | undefined;
  #describingStatement = false;
  /** The set being received for the head command, before its CommandComplete. */
  #current: ResultCapture | undefined;
  /** The COPY … TO STDOUT data being received for the head command. */
  #copy: CopyOutCapture | undefined;

  constructor(limits: CaptureLimits) {
    this.#limits = limits;
  }

  /**
   * Sees a frame before the relay's own bookkeeping (which may finish `head`): ends or resets
   * the result in progress. RowDescription and DataRow go to `frame` instead.
   */
  before(type: number, head: Pending | undefined): void {
    switch (type) {
      case BackendCode.ParameterDescription: // the next RowDescription describes a statement
        this.#describingStatement = true;
        break;
      case BackendCode.NoData:
        this.#description = undefined;
        this.#describingStatement = false;
        break;
      case BackendCode.CopyOutResponse:
        if (capturing(head)) this.#copy = new CopyOutCapture(this.#limits);
        break;
      case BackendCode.CommandComplete:
      case BackendCode.EmptyQueryResponse:
        if (this.#endCopy(head)) break;
        this.#endSet(head);
        this.#description = undefined;
        this.#suspended = undefined;
        break;
      case BackendCode.PortalSuspended:
        this.#endSet(head);
        this.#suspended = this.#description ?? this.#suspended;
        this.#description = undefined;
        break;
      case BackendCode.ErrorResponse:
        this.#copy = undefined;
        this.#current = undefined;
        this.#description = undefined;
        this.#suspended = undefined;
        break;
      case BackendCode.ReadyForQuery:
        this.#current = undefined;
        this.#description = undefined;
        this.#describingStatement = false;
        break;
    }
  }

  /** A CopyData frame exactly as sent to the client (after masking): one line of COPY out. */
  copyData(buf: Buffer, start: number, end: number): void {
    const copy = this.#copy;
    if (!copy) return;
    if (copy.wants)
      copy.data(
        buf.toString('utf8', start + 5, Math.min(end, start + 5 + this.#limits.maxBytes + 4)),
      );
    else copy.markTruncated();
  }

  /** Ends a COPY out at its CommandComplete; false when none was being captured. */
  #endCopy(head: Pending | undefined): boolean {
    const copy = this.#copy;
    if (!copy) return false;
    this.#copy = undefined;
    if (capturing(head)) {
      if (head.capture) head.capture.markTruncated();
      else head.capture = copy;
    }
    return true;
  }

  /** The next rows have no description (an Execute of a portal nobody described). */
  forget(): void {
    this.#description = undefined;
    this.#suspended = undefined;
  }

  /** A RowDescription or DataRow exactly as sent to the client (`buf[start..end)`). */
  frame(type: number, buf: Buffer, start: number, end: number, head: Pending | undefined): void {
    if (type === BackendCode.RowDescription) {
      this.#description = this.#describingStatement ? undefined : describe(buf, start);
      this.#describingStatement = false;
      return;
    }
    if (!capturing(head)) return;
    if (head.capture) {
      // A later set of a multi-statement query: the first one is kept.
      head.capture.markTruncated();
      return;
    }
    const description = this.#description ?? this.#suspended;
    if (!description) return;
    const current = this.#start(description);
    if (current.wants) current.row(this.#values(description, buf, start, end));
    else current.markTruncated();
  }

  #start(description: Description): ResultCapture {
    if (this.#current) return this.#current;
    const current = new ResultCapture(this.#limits);
    current.columns(description.names, description.numeric);
    this.#current = current;
    return current;
  }

  #endSet(head: Pending | undefined): void {
    const current = this.#current;
    this.#current = undefined;
    if (!capturing(head)) return;
    if (head.capture) {
      if (current || this.#description) head.capture.markTruncated();
      return;
    }
    // A set without rows still shows its header (and "(0 rows)").
    const description = this.#description;
    head.capture = current ?? (description && this.#start(description));
    this.#current = undefined;
  }

  #values(description: Description, buf: Buffer, start: number, end: number): Array<string | null> {
    const count = buf.readInt16BE(start + 5);
    const values: Array<string | null> = [];
    // A value longer than the whole cap is cut anyway: decode no more than that (+4 so a
    // code point split by the slice lies beyond what can be kept).
    const most = this.#limits.maxBytes + 4;
    let at = start + 7;
    for (let i = 0; i < count && at + 4 <= end; i++) {
      const length = buf.readInt32BE(at);
      at += 4;
      if (length < 0) {
        values.push(null);
        continue;
      }
      if (description.hex[i]) {
        values.push(`\\x${buf.toString('hex', at, at + Math.min(length, most >> 1))}`);
      } else {
        const from = at + (description.jsonb[i] && buf[at] === 1 ? 1 : 0);
        values.push(buf.toString('utf8', from, Math.min(at + length, from + most)));
      }
      at += length;
    }
    return values;
  }
}

function capturing(head: Pending | undefined): head is Pending {
  return (
    head !== undefined &&
    head.permit !== undefined &&
    (head.kind === 'query' || head.kind === 'execute')
  );
}

function describe(buf: Buffer, start: number): Description {
  const count = buf.readInt16BE(start + 5);
  const names: string[] = [];
  const numeric: boolean[] = [];
  const hex: boolean[] = [];
  const jsonb: boolean[] = [];
  let at = start + 7;
  for (let i = 0; i < count; i++) {
    const nameEnd = buf.indexOf(0, at);
    names.push(buf.toString('utf8', at, nameEnd));
    at = nameEnd + 1;
    const typeOid = buf.readUInt32BE(at + 6);
    const binary = buf.readInt16BE(at + 16) === 1;
    numeric.push(NUMERIC_TYPE_OIDS.has(typeOid));
    hex.push(binary && !TEXT_LIKE.has(typeOid));
    jsonb.push(binary && typeOid === JSONB_OID);
    at += 18;
  }
  return { names, numeric, hex, jsonb };
}

/**
 * COPY … TO STDOUT as the client received it (after masking): psql prints the lines as they
 * come, so they are kept as terminal output (`kind: 'terminal'`, one `o` event per CopyData),
 * within `max_bytes`; `max_rows` bounds the lines as it bounds rows.
 */
export class CopyOutCapture {
  readonly #limits: CaptureLimits;
  readonly #events: TerminalEvent[] = [];
  #bytes = 0;
  #truncated = false;

  constructor(limits: CaptureLimits) {
    this.#limits = limits;
  }

  get wants(): boolean {
    return (
      !this.#truncated &&
      this.#events.length < this.#limits.maxRows &&
      this.#bytes < this.#limits.maxBytes
    );
  }

  data(text: string): void {
    if (!this.wants) {
      this.#truncated = true;
      return;
    }
    let kept = text;
    const budget = this.#limits.maxBytes - this.#bytes;
    if (Buffer.byteLength(kept) > budget) {
      kept = Buffer.from(kept)
        .subarray(0, budget)
        .toString('utf8')
        .replace(/\uFFFD$/, '');
      this.#truncated = true;
    }
    this.#bytes += Buffer.byteLength(kept);
    // Time 0: the lines of one COPY arrive together, and audit records hold integers only.
    this.#events.push([0, 'o', kept]);
  }

  markTruncated(): void {
    this.#truncated = true;
  }

  result(): CapturedTerminal {
    return {
      kind: 'terminal',
      header: { version: 2, width: 80, height: 24 },
      events: this.#events,
      truncated: this.#truncated,
    };
  }
}
