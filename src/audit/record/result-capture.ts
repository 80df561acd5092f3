import type {
  CapturedExchange,
  CapturedResult,
  CapturedTable,
  CapturedTerminal,
  CaptureLimits,
  TerminalEvent,
} from '../../core/command.js';

/**
 * Collects the start of a table result for the audit record within `audit.capture` limits. Connectors
 * feed it what they relay to the client (after masking) and stop decoding rows once `wants`
 * turns false:
 *
 * ```ts
 * const capture = limits && new ResultCapture(limits);
 * capture?.columns(['id', 'email']);
 * if (capture?.wants) capture.row(['1', 'a***@example.com']);
 * gate.complete(permit, { tag, rows, result: capture?.result() });
 * ```
 */
export class ResultCapture {
  readonly #limits: CaptureLimits;
  #columns: string[] | undefined;
  #numeric: boolean[] | undefined;
  readonly #rows: Array<Array<string | null>> = [];
  #bytes = 0;
  #truncated = false;

  constructor(limits: CaptureLimits) {
    this.#limits = limits;
  }

  /** True while another row would still be kept. */
  get wants(): boolean {
    return !this.#truncated && this.#rows.length < this.#limits.maxRows;
  }

  /**
   * The result's column names (and, when known, which are numbers). A second result with
   * columns is not captured; it only marks truncation.
   */
  columns(names: ReadonlyArray<string>, numeric?: ReadonlyArray<boolean>): void {
    if (this.#columns) {
      this.#truncated = true;
      return;
    }
    this.#columns = [...names];
    if (numeric && numeric.length === names.length) this.#numeric = numeric.map(Boolean);
    this.#bytes = this.#columns.reduce((sum, name) => sum + Buffer.byteLength(name), 0);
  }

  /** Adds a row (values as the client received them); returns `wants`. */
  row(values: ReadonlyArray<string | null>): boolean {
    if (!this.#columns) this.columns([]);
    if (!this.wants) {
      this.#truncated = true;
      return false;
    }
    const budget = this.#limits.maxBytes - this.#bytes;
    const kept = fitRow(values, budget);
    this.#bytes += kept.bytes;
    this.#rows.push(kept.values);
    if (kept.cut) this.#truncated = true;
    return this.wants;
  }

  /** Marks that rows were left out (e.g. the connector stopped decoding them). */
  markTruncated(): void {
    this.#truncated = true;
  }

  /** What was captured; undefined when nothing with columns was seen. */
  result(): CapturedTable | undefined {
    if (!this.#columns) return undefined;
    return {
      columns: this.#columns,
      ...(this.#numeric && { numeric: this.#numeric }),
      rows: this.#rows,
      truncated: this.#truncated,
    };
  }
}

/**
 * A captured result cut to `limits` (the sink applies it to whatever a connector hands over,
 * so a capture never exceeds the caps in the store); undefined when capture is off or the
 * value is not a captured result. A table keeps its shape without `kind`, as it was always
 * stored; a value with an unknown `kind` is dropped.
 */
export function capResult(
  result: CapturedTable | undefined,
  limits: CaptureLimits,
): CapturedTable | undefined;
export function capResult(
  result: CapturedResult | undefined,
  limits: CaptureLimits,
): CapturedResult | undefined;
export function capResult(
  result: CapturedResult | undefined,
  limits: CaptureLimits,
): CapturedResult | undefined {
  if (!result || typeof result !== 'object') return undefined;
  if (limits.maxRows <= 0 || limits.maxBytes <= 0) return undefined;
  switch (result.kind) {
    case undefined:
    case 'table':
      return capTable(result, limits);
    case 'terminal':
      return capTerminal(result, limits);
    case 'exchange':
      return capExchange(result, limits);
    default:
      return undefined;
  }
}

function capTable(result: CapturedTable, limits: CaptureLimits): CapturedTable | undefined {
  if (!Array.isArray(result.columns) || !Array.isArray(result.rows)) return undefined;
  const capture = new ResultCapture(limits);
  capture.columns(
    result.columns.map(String),
    Array.isArray(result.numeric) ? result.numeric : undefined,
  );
  for (const row of result.rows) {
    if (!capture.wants) {
      capture.markTruncated();
      break;
    }
    if (Array.isArray(row)) capture.row(row.map((v) => (v === null ? null : String(v))));
  }
  if (result.truncated === true) capture.markTruncated();
  return capture.result();
}

const EVENT_TYPES = new Set(['o', 'i', 'r', 'm']);

/** Events in order until their data would pass `maxBytes`; the one that crosses it is cut. */
function capTerminal(
  result: CapturedTerminal,
  limits: CaptureLimits,
): CapturedTerminal | undefined {
  const { header } = result;
  if (!header || typeof header !== 'object' || !Array.isArray(result.events)) return undefined;
  const events: TerminalEvent[] = [];
  let budget = limits.maxBytes;
  let truncated = result.truncated === true;
  for (const event of result.events) {
    if (!Array.isArray(event) || !EVENT_TYPES.has(event[1])) continue;
    const time = Number(event[0]);
    const data = String(event[2] ?? '');
    const size = Buffer.byteLength(data);
    if (size > budget) {
      const cut = cutToBytes(data, budget);
      if (cut) events.push([time, event[1], cut]);
      truncated = true;
      break;
    }
    events.push([Number.isFinite(time) ? time : 0, event[1], data]);
    budget -= size;
  }
  return {
    kind: 'terminal',
    header: {
      version: 2,
      width: wholeOr(header.width, 80),
      height: wholeOr(header.height, 24),
      ...(typeof header.timestamp === 'number' &&
        Number.isFinite(header.timestamp) && { timestamp: header.timestamp }),
    },
    events,
    truncated,
  };
}

/** The target, then kept headers in order, then the body, until `maxBytes` is spent. */
function capExchange(
  result: CapturedExchange,
  limits: CaptureLimits,
): CapturedExchange | undefined {
  if (typeof result.method !== 'string' || typeof result.target !== 'string') return undefined;
  let budget = limits.maxBytes;
  let truncated = result.truncated === true;
  const take = (text: string): string => {
    const kept = cutToBytes(text, budget);
    if (kept.length < text.length) truncated = true;
    budget -= Buffer.byteLength(kept);
    return kept;
  };
  const method = String(result.method);
  const target = take(result.target);
  let headers: Record<string, string> | undefined;
  if (result.headers && typeof result.headers === 'object') {
    headers = {};
    for (const [name, value] of Object.entries(result.headers)) {
      const size = Buffer.byteLength(name) + Buffer.byteLength(String(value));
      if (size > budget) {
        truncated = true;
        break;
      }
      headers[name] = String(value);
      budget -= size;
    }
  }
  const body = typeof result.body === 'string' ? take(result.body) : undefined;
  return {
    kind: 'exchange',
    method,
    target,
    ...(typeof result.status === 'number' &&
      Number.isInteger(result.status) && { status: result.status }),
    ...(headers && { headers }),
    ...(body !== undefined && { body }),
    truncated,
  };
}

function wholeOr(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : fallback;
}

function fitRow(
  values: ReadonlyArray<string | null>,
  budget: number,
): { values: Array<string | null>; bytes: number; cut: boolean } {
  const kept: Array<string | null> = [];
  let bytes = 0;
  for (const value of values) {
    if (value === null) {
      kept.push(null);
      continue;
    }
    const size = Buffer.byteLength(value);
    if (bytes + size <= budget) {
      kept.push(value);
      bytes += size;
      continue;
    }
    const cut = cutToBytes(value, Math.max(0, budget - bytes));
    kept.push(cut);
    return { values: kept, bytes: bytes + Buffer.byteLength(cut), cut: true };
  }
  return { values: kept, bytes, cut: false };
}

/** The longest prefix of `text` whose UTF-8 form fits in `max` bytes, cut between code points. */
export function cutToBytes(text: string, max: number): string {
  let bytes = 0;
  let end = 0;
  for (const char of text) {
    const size = Buffer.byteLength(char);
    if (bytes + size > max) break;
    bytes += size;
    end += char.length;
  }
  return text.slice(0, end);
}
