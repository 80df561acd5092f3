import type { CapturedResult, CaptureLimits } from '../../core/command.js';

/**
 * Collects the start of a result for the audit record within `audit.capture` limits. Connectors
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
   * The result set's column names (and, when known, which are numbers). A second result set is
   * not captured; it only marks truncation.
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
  result(): CapturedResult | undefined {
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
 * value is not a captured result.
 */
export function capResult(
  result: CapturedResult | undefined,
  limits: CaptureLimits,
): CapturedResult | undefined {
  if (!result || !Array.isArray(result.columns) || !Array.isArray(result.rows)) return undefined;
  if (limits.maxRows <= 0 || limits.maxBytes <= 0) return undefined;
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
