/**
 * Before a reviewer's modified text runs in place of a client's extended-protocol portal, the
 * gateway asks the target what both texts take and return: its own Parse of each (under
 * gateway-private names) and Describe of the statement, answered by ParameterDescription and
 * RowDescription/NoData, which the relay keeps from the client. The modified text runs with the
 * client's bound values only when it takes as many parameters, of the same types, as the
 * client's statement, and returns the same columns (the client decodes its rows with the
 * description it already has).
 */
import type { OutputBatch } from '../protocol/batch.js';
import * as fe from '../protocol/frontend.js';
import type { Column, Pending, Probe, ProbeResult } from './pending.js';

/** The gateway's own statements for the probe: the client's text and the reviewer's. */
const ORIGINAL = '\u0001gatehouse probe original';
const REVIEWED = '\u0001gatehouse probe modified';

/** State of one probe, attached to each of its Pending entries (`probe`). */
export class ModifyProbe implements Probe {
  readonly result: ProbeResult = { original: {}, reviewed: {} };
  readonly done: Promise<ProbeResult>;
  #outstanding = 0;
  #resolve!: (r: ProbeResult) => void;

  constructor() {
    this.done = new Promise((resolve) => {
      this.#resolve = resolve;
    });
  }

  /** Queues the probe's messages for the target and its entries for the relay. */
  send(
    toTarget: OutputBatch,
    relay: { expect(p: Pending): void },
    original: { sql: string; types: number[] },
    reviewed: string,
  ): void {
    const hidden = (message: Buffer, kind: Pending['kind'], side?: 'original' | 'reviewed') => {
      toTarget.add(message);
      this.#outstanding++;
      const pending: Pending = {
        kind,
        injected: true,
        probe: this,
        answered: () => this.#answered(pending),
      };
      if (side) pending.probeSide = side;
      relay.expect(pending);
    };
    hidden(fe.parse(ORIGINAL, original.sql, original.types), 'parse');
    hidden(fe.describeStatement(ORIGINAL), 'describe', 'original');
    hidden(fe.closeStatement(ORIGINAL), 'close');
    hidden(fe.parse(REVIEWED, reviewed, []), 'parse');
    hidden(fe.describeStatement(REVIEWED), 'describe', 'reviewed');
    hidden(fe.closeStatement(REVIEWED), 'close');
    // The target holds extended-protocol answers until a Sync or Flush; the gateway needs these
    // before the client's Execute can go on.
    toTarget.add(fe.flush());
  }

  #answered(pending: Pending): void {
    // An error recorded by the relay on the entry itself: the target skipped the probe after an
    // earlier message of the pipeline failed (a failing probe records its error on the result).
    if (pending.error && !this.result.error) this.result.skipped = true;
    if (--this.#outstanding === 0) this.#resolve(this.result);
  }
}

/** ParameterDescription body: int16 count, then an int32 type OID each. */
export function readParameterTypes(buf: Buffer, bodyStart: number): number[] {
  const count = buf.readInt16BE(bodyStart);
  const types: number[] = [];
  for (let i = 0; i < count; i++) types.push(buf.readUInt32BE(bodyStart + 2 + i * 4));
  return types;
}

/** RowDescription body: the columns' names, type OIDs and type modifiers. */
export function readColumns(buf: Buffer, bodyStart: number): Column[] {
  const count = buf.readInt16BE(bodyStart);
  let at = bodyStart + 2;
  const columns: Column[] = [];
  for (let i = 0; i < count; i++) {
    const end = buf.indexOf(0, at);
    const name = buf.toString('utf8', at, end);
    at = end + 1;
    const type = buf.readUInt32BE(at + 6);
    const typmod = buf.readInt32BE(at + 12);
    at += 18;
    columns.push({ name, type, typmod });
  }
  return columns;
}

/** Names of common built-in types (pg_type.dat); others are shown by OID. */
const TYPE_NAMES: ReadonlyMap<number, string> = new Map([
  [16, 'bool'],
  [17, 'bytea'],
  [18, 'char'],
  [19, 'name'],
  [20, 'int8'],
  [21, 'int2'],
  [23, 'int4'],
  [25, 'text'],
  [26, 'oid'],
  [114, 'json'],
  [700, 'float4'],
  [701, 'float8'],
  [705, 'unknown'],
  [1042, 'bpchar'],
  [1043, 'varchar'],
  [1082, 'date'],
  [1083, 'time'],
  [1114, 'timestamp'],
  [1184, 'timestamptz'],
  [1186, 'interval'],
  [1700, 'numeric'],
  [2950, 'uuid'],
  [3802, 'jsonb'],
  [1007, 'int4[]'],
  [1009, 'text[]'],
  [1016, 'int8[]'],
]);

export const typeName = (oid: number): string => TYPE_NAMES.get(oid) ?? `type ${oid}`;

const listTypes = (types: number[]) => types.map(typeName).join(', ');
const parameters = (n: number) => `${n} parameter${n === 1 ? '' : 's'}`;

/**
 * Why the reviewer's text cannot run with the client's bound values, or undefined when it can.
 * `bound`: how many values the client bound.
 */
export function probeMismatch(result: ProbeResult, bound: number): string | undefined {
  const mine = result.reviewed.params ?? [];
  const theirs = result.original.params ?? [];
  if (mine.length !== bound) {
    const typed = mine.length > 0 ? ` (${listTypes(mine)})` : '';
    return `the reviewer's text takes ${parameters(mine.length)}${typed}; the client bound ${bound}`;
  }
  const differs = mine.findIndex((oid, i) => oid !== theirs[i]);
  if (differs >= 0) {
    return `the reviewer's text takes ${parameters(mine.length)} (${listTypes(mine)}); the client bound ${bound} of type(s) (${listTypes(theirs)}): $${differs + 1} is ${typeName(mine[differs]!)}, not ${typeName(theirs[differs]!)}`;
  }
  const before = result.original.columns ?? null;
  const after = result.reviewed.columns ?? null;
  if (!sameColumns(before, after)) {
    return `the reviewer's text returns ${describeColumns(after)}, and the client's statement returns ${describeColumns(before)} (the client reads the rows by that description)`;
  }
  return undefined;
}

function sameColumns(a: Column[] | null, b: Column[] | null): boolean {
  if (a === null || b === null) return a === b;
  return (
    a.length === b.length &&
    a.every((c, i) => c.name === b[i]!.name && c.type === b[i]!.type && c.typmod === b[i]!.typmod)
  );
}

function describeColumns(columns: Column[] | null): string {
  if (columns === null) return 'no rows';
  return `columns (${columns.map((c) => `${c.name} ${typeName(c.type)}`).join(', ')})`;
}
