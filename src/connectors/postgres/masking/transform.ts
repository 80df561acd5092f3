/**
 * Masking of what a PostgreSQL client sees (docs/masking.md): a per-session
 * ResponseTransform over RowDescription, DataRow, CopyOutResponse, CopyData, ErrorResponse,
 * NoticeResponse and NotificationResponse.
 * Only set when the session's masker is active, so unmasked sessions pay nothing.
 */
import type { ColumnMaskFn, SessionMasker } from '../../../masking/index.js';
import { BackendCode, ErrorField } from '../protocol/message-codes.js';
import type { Pending } from '../session/pending.js';
import type { ResponseTransform } from '../session/relay.js';
import type { CatalogColumn } from './catalog.js';
import { type CopyLineMasker, copyLineMasker, redactCopyLine } from './copy-masking.js';
import { maskErrorDetail } from './error-detail.js';
import { REDACT_WHOLE, type ResultLineage, type SessionLineage } from './lineage-mask.js';

/** Resolves a field's table OID and column number; undefined when the catalog does not know it. */
export type ColumnLookup = (tableOid: number, attnum: number) => CatalogColumn | undefined;

const TEXT_OID = 25;
/** Types whose binary form is their UTF-8 text (jsonb: a version byte, then the text). */
const TEXT_LIKE = new Set([25, 1043, 1042, 19, 114, 142, 705, 3802]);
const JSONB_OID = 3802;

/** How one result column's cells are treated. */
interface ColumnPlan {
  /** Whole-cell masker from a column rule; undefined: detectors over text cells. */
  mask?: ColumnMaskFn;
  binary: boolean;
  typeOid: number;
}

/**
 * The transform for one session. `lookup` answers from the catalog loaded at admission; a
 * field of a table it does not know is masked whole (`redact`) when column rules apply, and
 * `onUnknownTable` is told so the catalog can be reloaded for the next query.
 */
export function maskingTransform(
  masker: SessionMasker,
  lookup: ColumnLookup,
  onUnknownTable: () => void = () => {},
  lineage?: SessionLineage,
): ResponseTransform {
  /** Per Query: which of its statements' results comes next. */
  const cursors = new WeakMap<Pending, { results: ResultLineage[]; at: number }>();
  /** The description of the result being received; undefined once that result ended. */
  let columns: ColumnPlan[] | undefined;
  /** A portal suspended by a row limit resumes without a new description. */
  let suspended: ColumnPlan[] | undefined;
  /**
   * The next RowDescription answers a Describe of a statement (ParameterDescription came
   * first): rows of a later Execute may belong to another statement, so it describes none.
   */
  let describingStatement = false;
  /** The COPY being received, when its columns are known (column rules only). */
  let copyLines: CopyLineMasker | undefined;
  const undescribed: ColumnPlan | undefined = masker.hasColumnRules
    ? { mask: () => '[redacted]', binary: false, typeOid: TEXT_OID }
    : undefined;
  const failClosed: ColumnMaskFn = () => '[redacted]';

  function planOf(name: string, tableOid: number, attnum: number): ColumnMaskFn | undefined {
    if (!masker.hasColumnRules) return undefined;
    if (tableOid === 0) return masker.columnMasker(undefined, name);
    const known = lookup(tableOid, attnum);
    if (!known) {
      onUnknownTable();
      return failClosed;
    }
    // A view's column: by what its definition reads (lineage), and by its own name.
    const own = masker.columnMasker(known.table, known.column);
    return stronger(own, lineage?.viewColumnMask(tableOid, attnum));
  }

  /** What the statement behind this RowDescription derives its columns from. */
  function resultLineage(source: Pending | undefined): ResultLineage | undefined {
    if (!lineage || source?.sql === undefined) return undefined;
    if (source.kind === 'describe') return lineage.forExecute(source.sql);
    if (source.kind !== 'query') return undefined;
    let cursor = cursors.get(source);
    if (!cursor) {
      const results = lineage.forQuery(source.sql);
      if (!results) return undefined;
      cursor = { results, at: 0 };
      cursors.set(source, cursor);
    }
    while (cursor.at < cursor.results.length) {
      const result = cursor.results[cursor.at]!;
      if (result.kind === 'maybe') return result; // every later result fails closed too
      cursor.at++;
      if (result.kind === 'rows') return result;
    }
    return { kind: 'maybe' };
  }

  /** The lineage masker of field `i` of `count`. */
  function lineageOf(
    result: ResultLineage | undefined,
    i: number,
    count: number,
    tableOid: number,
    attnum: number,
  ): ColumnMaskFn | undefined {
    // A field with a table OID and column is that column's value unchanged (PostgreSQL names an
    // origin only for a plain column reference): its own rule applies, or a view's lineage
    // (planOf). Column number 0 is a whole-row reference: a record, traced per field.
    if (!result || (tableOid !== 0 && attnum !== 0)) return undefined;
    if (result.kind === 'maybe') return REDACT_WHOLE;
    if (result.kind !== 'rows') return undefined;
    if (result.exact && result.masks.length === count) return result.masks[i];
    return result.fallback;
  }

  function rowDescription(frame: Buffer, source: Pending | undefined): Buffer {
    const out = Buffer.from(frame);
    const count = out.readInt16BE(5);
    const next: ColumnPlan[] = [];
    const result = masker.hasColumnRules ? resultLineage(source) : undefined;
    let at = 7;
    for (let i = 0; i < count; i++) {
      const nameEnd = out.indexOf(0, at);
      const name = out.toString('utf8', at, nameEnd);
      at = nameEnd + 1;
      const tableOid = out.readUInt32BE(at);
      const attnum = out.readInt16BE(at + 4);
      const typeOid = out.readUInt32BE(at + 6);
      const binary = out.readInt16BE(at + 16) === 1;
      const traced = lineageOf(result, i, count, tableOid, attnum);
      // A whole row names its table but no column: without lineage it is redacted (planOf).
      const wholeRow = tableOid !== 0 && attnum === 0 && result?.kind === 'rows';
      const mask = wholeRow ? traced : stronger(planOf(name, tableOid, attnum), traced);
      if (mask) {
        // Masked cells are text; text's binary form is its bytes, so the format code stays.
        out.writeUInt32BE(TEXT_OID, at + 6);
        out.writeInt16BE(-1, at + 10);
        out.writeInt32BE(-1, at + 12);
      }
      next.push({ mask, binary, typeOid });
      at += 18;
    }
    columns = describingStatement ? undefined : next;
    describingStatement = false;
    return out;
  }

  function cell(plan: ColumnPlan | undefined, raw: Buffer): Buffer | null | undefined {
    if (plan?.binary && !TEXT_LIKE.has(plan.typeOid)) {
      // No text form to scan: a column rule masks the hex of the bytes (redact/null/hash are
      // whole anyway); detectors leave non-text binary values alone (documented limit).
      if (!plan.mask) return undefined;
      const masked = plan.mask(`\\x${raw.toString('hex')}`);
      return masked === null ? null : Buffer.from(masked, 'utf8');
    }
    const jsonbPrefix = plan?.binary && plan.typeOid === JSONB_OID && raw[0] === 1 ? 1 : 0;
    const text = raw.toString('utf8', jsonbPrefix);
    const masked = plan?.mask ? plan.mask(text) : masker.maskText(text);
    if (masked === null) return null;
    if (masked === text && !plan?.mask) return undefined;
    const body = Buffer.from(masked, 'utf8');
    return jsonbPrefix && !plan?.mask ? Buffer.concat([raw.subarray(0, 1), body]) : body;
  }

  function dataRow(frame: Buffer): Buffer {
    const count = frame.readInt16BE(5);
    // Rows without a description of their own (an Execute of a portal the gateway could not
    // describe first, e.g. a cursor): the columns cannot be told, so column rules fail closed.
    // A portal the client did not describe is described by the gateway (session/messages.ts).
    const plans = columns ?? suspended;
    const cells: Array<Buffer | null> = [];
    let changed = false;
    let at = 7;
    for (let i = 0; i < count; i++) {
      const length = frame.readInt32BE(at);
      at += 4;
      if (length < 0) {
        cells.push(null);
        continue;
      }
      const raw = frame.subarray(at, at + length);
      at += length;
      const replaced = cell(plans ? plans[i] : undescribed, raw);
      if (replaced === undefined) cells.push(raw);
      else {
        changed = true;
        cells.push(replaced);
      }
    }
    return changed ? encodeDataRow(cells) : frame;
  }

  function copyData(frame: Buffer): Buffer {
    const line = frame.toString('utf8', 5);
    // COPY output names no columns: with column rules, only a COPY whose columns the gateway
    // resolved is masked per field; any other has every field of every line redacted.
    let masked: string;
    if (!masker.hasColumnRules) masked = masker.maskText(line);
    else masked = copyLines ? copyLines(line) : redactCopyLine(line);
    if (masked === line) return frame;
    return framed(BackendCode.CopyData, Buffer.from(masked, 'utf8'));
  }

  function notice(type: number, frame: Buffer): Buffer {
    const fields: Array<[number, string]> = [];
    let schema: string | undefined;
    let table: string | undefined;
    let at = 5;
    while (at < frame.length && frame[at] !== 0) {
      const end = frame.indexOf(0, at + 1);
      if (end < 0) break;
      const value = frame.toString('utf8', at + 1, end);
      if (frame[at] === ErrorField.Schema) schema = value;
      if (frame[at] === ErrorField.Table) table = value;
      fields.push([frame[at]!, value]);
      at = end + 1;
    }
    const qualified = table && (schema ? `${schema}.${table}` : table);
    let changed = false;
    const parts: Buffer[] = [];
    for (const [code, value] of fields) {
      let masked = value;
      if (code === ErrorField.Detail) masked = maskErrorDetail(value, qualified, masker);
      else if (MASKED_FIELDS.has(code)) masked = masker.maskText(value);
      if (masked !== value) changed = true;
      parts.push(Buffer.from([code]), Buffer.from(masked, 'utf8'), ZERO);
    }
    if (!changed) return frame;
    parts.push(ZERO);
    return framed(type, Buffer.concat(parts));
  }

  /** NotificationResponse: a NOTIFY payload can carry any value (`pg_notify('c', email)`). */
  function notification(frame: Buffer): Buffer {
    const channelEnd = frame.indexOf(0, 9);
    const payloadEnd = frame.indexOf(0, channelEnd + 1);
    if (channelEnd < 0 || payloadEnd <= channelEnd + 1) return frame;
    const payload = frame.toString('utf8', channelEnd + 1, payloadEnd);
    // Like COPY, a payload names no column: with column rules it is redacted whole.
    const masked = masker.hasColumnRules ? '[redacted]' : masker.maskText(payload);
    if (masked === payload) return frame;
    return framed(
      BackendCode.NotificationResponse,
      Buffer.concat([frame.subarray(5, channelEnd + 1), Buffer.from(`${masked}\0`, 'utf8')]),
    );
  }

  return (type, frame, copy, source) => {
    switch (type) {
      case BackendCode.CopyOutResponse:
        if (masker.hasColumnRules) copyLines = copyLineMasker(masker, copy, frame);
        return frame;
      case BackendCode.RowDescription:
        return rowDescription(frame, source);
      case BackendCode.DataRow:
        return dataRow(frame);
      case BackendCode.CopyData:
        return copyData(frame);
      case BackendCode.NotificationResponse:
        return notification(frame);
      case BackendCode.CommandComplete:
      case BackendCode.EmptyQueryResponse:
        columns = undefined;
        suspended = undefined;
        copyLines = undefined;
        return frame;
      case BackendCode.ParameterDescription:
        describingStatement = true;
        return frame;
      case BackendCode.NoData:
        // A portal without rows: no earlier description may be taken for what follows.
        if (!describingStatement) {
          columns = undefined;
          suspended = undefined;
        }
        describingStatement = false;
        return frame;
      case BackendCode.PortalSuspended: // a resumed portal is suspended again with no description
        suspended = columns ?? suspended;
        columns = undefined;
        return frame;
      default:
        if (type === BackendCode.ErrorResponse) {
          columns = undefined;
          describingStatement = false;
          copyLines = undefined;
        }
        return notice(type, frame);
    }
  };
}

/** A column rule's own masker, unless lineage says the value is transformed (redacted whole). */
function stronger(
  own: ColumnMaskFn | undefined,
  traced: ColumnMaskFn | undefined,
): ColumnMaskFn | undefined {
  if (!own) return traced;
  return traced === REDACT_WHOLE ? traced : own;
}

/** Message (M), hint (H), where (W), internal query (q) and routine context carry free text. */
const MASKED_FIELDS = new Set<number>([
  ErrorField.Message,
  ErrorField.Hint,
  ErrorField.Where,
  ErrorField.InternalQuery,
]);
const ZERO = Buffer.from([0]);

function framed(type: number, body: Buffer): Buffer {
  const head = Buffer.allocUnsafe(5);
  head[0] = type;
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}

function encodeDataRow(cells: ReadonlyArray<Buffer | null>): Buffer {
  let size = 2;
  for (const value of cells) size += 4 + (value ? value.length : 0);
  const body = Buffer.allocUnsafe(size);
  body.writeInt16BE(cells.length, 0);
  let at = 2;
  for (const value of cells) {
    if (!value) {
      body.writeInt32BE(-1, at);
      at += 4;
      continue;
    }
    body.writeInt32BE(value.length, at);
    value.copy(body, at + 4);
    at += 4 + value.length;
  }
  return framed(BackendCode.DataRow, body);
}
