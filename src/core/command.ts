/**
 * A protocol-neutral description of one thing a client asked the target to do. Connectors build
 * it with their own parser; policy, approvals and audit only ever see this shape.
 */
export interface Command {
  /**
   * The protocol that produced it: a registered connector type (`ConnectorModule.type`).
   * Connectors always set it; optional so commands built elsewhere (tests, fixtures) need not.
   */
  protocol?: string;
  /** What a reviewer reads: the command as the client sent it (a query, a request line, a shell command…). */
  text: string;
  /** Values bound to the command separately from its text, as text or null, in order. */
  params?: ReadonlyArray<string | null>;
  /**
   * Command classes the connector's classifier found in the text (`ConnectorModule.commandClasses`),
   * e.g. `read`, `write`. A text holding several commands carries the classes of every one.
   */
  classes: ReadonlyArray<string>;
  /**
   * Protocol facts that rule conditions test beyond the classes, named by the connector's
   * module (its `conditions` read them). Absent when the protocol has none.
   */
  attributes?: Readonly<Record<string, string | boolean>>;
  /** True when the parser could not fully understand the text (policy treats it as most restrictive). */
  unclassifiable?: boolean;
  /**
   * Why the command is unclassifiable, in a few words a client can act on (e.g. `code whose
   * effect is decided at run time`); a refusal names it before the rule. Only set with
   * `unclassifiable`.
   */
  unclassifiableReason?: string;
  /** Target scope the command acts on (e.g. a database, namespace or host), by the connector's names. */
  target?: Readonly<Record<string, string>>;
}

/** Result of a forwarded command, as the connector reports it back for the audit record. */
export interface CommandOutcome {
  /** The status the protocol reported for the command, as its client shows it (e.g. `SELECT 3`). */
  tag?: string;
  /** How many items the command returned or affected, when the protocol says. */
  rows?: number;
  /** The failure the target reported: its own error code, when it has one, and message. */
  error?: { code?: string; message: string };
  durationMs: number;
  /** The start of what the client was shown, so the session can be replayed (docs/audit.md). */
  result?: CapturedResult;
}

/**
 * The start of what the client was shown for one command, in one of three shapes: a table of
 * rows, a terminal stream, or a request/response exchange (a protocol records the one its
 * clients see; its module's `replay` renders it). Values are AFTER masking. Connectors fill it within the `CaptureLimits` the gate
 * hands them (`GateSession.captureLimits`); the audit sink cuts anything beyond them again, so
 * an oversized capture never reaches the store.
 */
export type CapturedResult = CapturedTable | CapturedTerminal | CapturedExchange;

/**
 * Rows, as the client received them, each value as text (the protocol's text form; binary
 * values as `\x` hex) or null. `kind` is left out when recording: a capture without `kind`
 * (every capture written before the other shapes existed) is a table. For a command that
 * produced several results, capture the first that has columns and set `truncated` when
 * further ones followed.
 */
export interface CapturedTable {
  kind?: 'table';
  /** Column names, in order, as the target described them. */
  columns: string[];
  /** Rows in the order the client received them; each has one entry per column. */
  rows: Array<Array<string | null>>;
  /** True when rows, results or bytes beyond the caps were left out. */
  truncated: boolean;
  /** Per column, whether the target typed it as a number (a replay may right-align those). */
  numeric?: boolean[];
}

/** One asciicast v2 event: seconds since the stream began, its type, its data. */
export type TerminalEvent = [time: number, type: 'o' | 'i' | 'r' | 'm', data: string];

/** What a terminal showed, as an asciicast v2 stream (header line, then events). */
export interface CapturedTerminal {
  kind: 'terminal';
  /** The asciicast v2 header: `version` 2, the terminal size, optionally when it began. */
  header: { version: 2; width: number; height: number; timestamp?: number };
  /** Output (`o`), input (`i`), resize (`r`) and marker (`m`) events, in order. */
  events: TerminalEvent[];
  /** True when events or bytes beyond the caps were left out. */
  truncated: boolean;
}

/** A request and the response the client received, summarised. */
export interface CapturedExchange {
  kind: 'exchange';
  /** The request method, e.g. `GET`. */
  method: string;
  /** What the request addressed (a path, a resource), as the client sent it. */
  target: string;
  /** The response status, e.g. 200; absent when no response came. */
  status?: number;
  /** The response headers the connector chose to keep (names in lower case). */
  headers?: Record<string, string>;
  /** The start of the response body, as text. */
  body?: string;
  /** True when headers or body beyond the caps were left out. */
  truncated: boolean;
}

/** `audit.capture`: how much of each result is kept. `maxRows: 0` captures nothing. */
export interface CaptureLimits {
  /** Rows of a table; terminal events and exchanges are bounded by `maxBytes` alone. */
  maxRows: number;
  /**
   * UTF-8 bytes kept, summed over the capture: a table's column names plus values, a terminal's
   * event data, an exchange's target, kept headers and body.
   */
  maxBytes: number;
}
