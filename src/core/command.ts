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
}
