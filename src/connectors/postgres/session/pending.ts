/**
 * What the gateway expects back from the target for each message it forwarded, in order.
 * The relay walks this queue as responses arrive, to attribute results to commands and to put
 * the gateway's own errors exactly where the target's would have been.
 */
import type { CapturedResult } from '../../../core/command.js';
import type { Permit } from '../../../core/gate.js';
import type { SqlClassification } from '../classify/classifier.js';
import type { CopyOut } from '../classify/copy-statement.js';
import type { StagedOperation } from './names.js';

/** A prepared statement as the target holds it. */
export interface Statement {
  sql: string;
  classification: SqlClassification;
  /**
   * Defined by SQL PREPARE (`sql` is then the PREPARE text): `classification` is what the
   * statement runs and must be used as is; a Parse'd statement is classified again at Execute.
   */
  sqlPrepared?: true;
  /** Parameter type OIDs the client declared in Parse (0: unspecified). */
  paramTypes?: number[];
}

/** A portal: a statement bound to parameters (undefined statement: not known to the gateway). */
export interface Portal {
  statement: Statement | undefined;
  statementName: string;
  params: Array<string | null>;
  /** Per parameter: 0 text, 1 binary (what a re-bind for a modified command sends). */
  paramFormats?: number[];
  /** Result column formats the client asked for. */
  resultFormats?: number[];
}

/** `resolve`: the gateway's own Query for a COPY's columns (its answer is kept from the client). */
export type PendingKind =
  | 'query'
  | 'parse'
  | 'bind'
  | 'describe'
  | 'execute'
  | 'close'
  | 'sync'
  | 'resolve';

export interface Pending {
  kind: PendingKind;
  /**
   * A Describe the gateway sent on its own (a portal's description, for masking): its answer is
   * kept from the client, and an error it gets is the client's next Execute's.
   */
  injected?: true;
  /**
   * An Execute of a portal nobody described (a cursor the gateway never saw bound): the
   * transform is shown NoData before its rows, so no earlier description is taken for them.
   */
  undescribed?: true;
  /**
   * The gateway's own Parse/Describe/Close of a modified command's texts (`injected` too): the
   * relay gives their answers to the probe and shows the client none of them.
   */
  probe?: Probe;
  /** On a probe's Describe: which text it describes. */
  probeSide?: 'original' | 'reviewed';
  /** A `resolve`'s COPY: its answer fills in the columns. */
  resolves?: CopyOut;
  /**
   * A Query whose first statement is a COPY TO STDOUT resolved just before it: the first
   * CopyOutResponse is that COPY's (taken once; any later COPY of the Query has none).
   */
  copy?: CopyOut;
  /** The gateway's ErrorResponse, sent instead of the target's error for a refused command. */
  refusal?: Buffer;
  permit?: Permit;
  /** Classification to apply to the session's prepared statements once answered. */
  classification?: SqlClassification;
  /**
   * Text that defined SQL-level prepared statements, for the statement table; on a `describe`,
   * the described statement's text (masking by lineage).
   */
  sql?: string;
  statementOp?: StagedOperation<Statement>;
  portalOp?: StagedOperation<Portal>;
  /** Called once the target answered (or skipped) this message, whatever the outcome. */
  answered?: () => void;
  tag?: string;
  rows?: number;
  error?: { code?: string; message: string };
  /** The first result set the client was shown (only while `audit.capture` is on). */
  capture?: CommandCapture;
}

/** The gateway's probe of a modified command (modify-probe.ts): what the relay fills in. */
export interface Probe {
  readonly result: ProbeResult;
}

/** What the target said about one text. */
export interface Described {
  /** Parameter type OIDs (ParameterDescription). */
  params?: number[];
  /** Result columns (RowDescription), or null when it returns none (NoData). */
  columns?: Column[] | null;
}

export interface Column {
  name: string;
  type: number;
  typmod: number;
}

/** The probe's outcome: both descriptions, or the target's error, or skipped (earlier error). */
export interface ProbeResult {
  original: Described;
  reviewed: Described;
  /** The target's ErrorResponse frame (a Parse failed): the client's Execute's error. */
  errorFrame?: Buffer;
  error?: { code?: string; message: string };
  /** The target skipped the probe (an earlier message of the pipeline failed). */
  skipped?: true;
}

/** Rows reported by a command tag such as `INSERT 0 5`, `SELECT 3`, `COPY 100000`. */
export function rowsOfTag(tag: string): number | undefined {
  const space = tag.lastIndexOf(' ');
  if (space < 0) return undefined;
  const rows = Number(tag.slice(space + 1));
  return Number.isSafeInteger(rows) ? rows : undefined;
}

/** A command's captured result in progress: rows (ResultCapture) or COPY out lines (CopyOutCapture). */
export interface CommandCapture {
  markTruncated(): void;
  result(): CapturedResult | undefined;
}
