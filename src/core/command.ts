/**
 * A protocol-neutral description of one thing a client asked the target to do. Connectors build
 * it with their own parser; policy, approvals and audit only ever see this shape.
 */
export interface Command {
  /** Exact text as the client sent it (SQL, kubectl request line, shell command…). */
  text: string;
  /** Bound parameters (extended query protocol), as text or null. */
  params?: ReadonlyArray<string | null>;
  /**
   * Statement classes found in the text, e.g. `read`, `write`, `ddl`, `drop_table`, `delete`.
   * A multi-statement text carries the classes of every statement.
   */
  classes: ReadonlyArray<string>;
  /** Whether a DELETE/UPDATE in the text has no WHERE clause. */
  whereAbsent?: boolean;
  /** True when the parser could not fully understand the text (policy treats it as most restrictive). */
  unclassifiable?: boolean;
  /** Target scope the command acts on (database, namespace, host, …). */
  target?: Readonly<Record<string, string>>;
}

/** Result of a forwarded command, as the connector reports it back for the audit record. */
export interface CommandOutcome {
  /** Command tag or status line, e.g. `SELECT 3`. */
  tag?: string;
  rows?: number;
  error?: { code?: string; message: string };
  durationMs: number;
  /** The start of what the client was shown, so the session can be replayed (docs/audit.md). */
  result?: CapturedResult;
}

/**
 * The first rows of a command's result, as the client received them: values AFTER masking,
 * each as text (the protocol's text form; binary values as `\x` hex) or null. Connectors fill
 * it within the `CaptureLimits` the gate hands them (`GateSession.captureLimits`); the audit
 * sink cuts anything beyond them again, so an oversized capture never reaches the store.
 * For a text with several statements, capture the first result set that has columns and set
 * `truncated` when further sets followed.
 */
export interface CapturedResult {
  /** Column names, in order, as the target described them. */
  columns: string[];
  /** Rows in the order the client received them; each has one entry per column. */
  rows: Array<Array<string | null>>;
  /** True when rows, sets or bytes beyond the caps were left out. */
  truncated: boolean;
  /** Per column, whether the target typed it as a number (replay right-aligns those, as psql). */
  numeric?: boolean[];
}

/** `audit.capture`: how much of each result is kept. `maxRows: 0` captures nothing. */
export interface CaptureLimits {
  maxRows: number;
  /** UTF-8 bytes of column names plus values, summed over the capture. */
  maxBytes: number;
}
