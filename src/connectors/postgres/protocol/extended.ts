/**
 * Bodies of the extended-query messages the gateway must understand to gate commands:
 * Parse, Bind, Execute, Describe, Close.
 * https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-EXT-QUERY
 */
import { BodyReader } from './writer.js';

export interface ParseMessage {
  statement: string;
  sql: string;
  /** Declared parameter type OIDs (0: unspecified, the target infers it). */
  paramTypes: number[];
}

export interface BindMessage {
  portal: string;
  statement: string;
  /** Parameters as the audit sees them: text as sent, binary as `\x` hex, NULL as null. */
  params: Array<string | null>;
  /** Per parameter: 0 text, 1 binary. */
  paramFormats: number[];
  /** Result column formats as sent (none: all text; one: for every column). */
  resultFormats: number[];
}

export interface ExecuteMessage {
  portal: string;
  maxRows: number;
}

/** Describe ('D') and Close ('C') name a prepared statement ('S') or a portal ('P'). */
export interface TargetedMessage {
  kind: 'S' | 'P';
  name: string;
}

export function readParse(body: Buffer): ParseMessage {
  const reader = new BodyReader(body);
  const statement = reader.cstring();
  const sql = reader.cstring();
  const types = reader.int16();
  if (types < 0 || reader.remaining !== types * 4) throw new RangeError('bad Parse message');
  const paramTypes: number[] = [];
  for (let i = 0; i < types; i++) paramTypes.push(reader.int32() >>> 0);
  return { statement, sql, paramTypes };
}

export function readBind(body: Buffer): BindMessage {
  const reader = new BodyReader(body);
  const portal = reader.cstring();
  const statement = reader.cstring();
  const formatCount = reader.int16();
  if (formatCount < 0) throw new RangeError('bad Bind format count');
  const formats: number[] = [];
  for (let i = 0; i < formatCount; i++) formats.push(reader.int16());
  const paramCount = reader.int16();
  if (paramCount < 0 || (formatCount > 1 && formatCount !== paramCount)) {
    throw new RangeError('bad Bind parameter count');
  }
  const params: Array<string | null> = [];
  const paramFormats: number[] = [];
  for (let i = 0; i < paramCount; i++) {
    const format = (formatCount === 0 ? 0 : formatCount === 1 ? formats[0] : formats[i]) ?? 0;
    paramFormats.push(format);
    const length = reader.int32();
    if (length === -1) {
      params.push(null);
      continue;
    }
    const value = reader.bytes(length);
    params.push(format === 0 ? value.toString('utf8') : `\\x${value.toString('hex')}`);
  }
  const resultCount = reader.int16();
  if (resultCount < 0 || reader.remaining !== resultCount * 2) {
    throw new RangeError('bad Bind result formats');
  }
  const resultFormats: number[] = [];
  for (let i = 0; i < resultCount; i++) resultFormats.push(reader.int16());
  return { portal, statement, params, paramFormats, resultFormats };
}

export function readExecute(body: Buffer): ExecuteMessage {
  const reader = new BodyReader(body);
  const portal = reader.cstring();
  const maxRows = reader.int32();
  if (reader.remaining !== 0) throw new RangeError('bad Execute message');
  return { portal, maxRows };
}

export function readTargeted(body: Buffer): TargetedMessage {
  const reader = new BodyReader(body);
  const kind = String.fromCharCode(reader.byte());
  if (kind !== 'S' && kind !== 'P') throw new RangeError('Describe/Close must name S or P');
  const name = reader.cstring();
  if (reader.remaining !== 0) throw new RangeError('bad Describe/Close message');
  return { kind, name };
}

/** Reads the single NUL-terminated string of a Query ('Q') message. */
export function readQuery(body: Buffer): string {
  if (body.length === 0 || body[body.length - 1] !== 0) throw new RangeError('bad Query message');
  const end = body.indexOf(0);
  if (end !== body.length - 1) throw new RangeError('bad Query message');
  return body.toString('utf8', 0, end);
}

export interface FunctionCallMessage {
  /** The function's OID. */
  oid: number;
  /** Arguments as the audit sees them: text as sent, binary as `\\x` hex, NULL as null. */
  args: Array<string | null>;
}

/** FunctionCall (the fast-path interface): function OID, argument formats and values, result format. */
export function readFunctionCall(body: Buffer): FunctionCallMessage {
  const reader = new BodyReader(body);
  const oid = reader.int32() >>> 0;
  const formatCount = reader.int16();
  if (formatCount < 0) throw new RangeError('bad FunctionCall format count');
  const formats: number[] = [];
  for (let i = 0; i < formatCount; i++) formats.push(reader.int16());
  const argCount = reader.int16();
  if (argCount < 0 || (formatCount > 1 && formatCount !== argCount)) {
    throw new RangeError('bad FunctionCall argument count');
  }
  const args: Array<string | null> = [];
  for (let i = 0; i < argCount; i++) {
    const format = formatCount === 0 ? 0 : formatCount === 1 ? formats[0] : formats[i];
    const length = reader.int32();
    if (length === -1) {
      args.push(null);
      continue;
    }
    const value = reader.bytes(length);
    args.push(format === 0 ? value.toString('utf8') : `\\x${value.toString('hex')}`);
  }
  reader.int16(); // result format
  if (reader.remaining !== 0) throw new RangeError('bad FunctionCall message');
  return { oid, args };
}
