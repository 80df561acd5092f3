import { maskSpan, stronger } from './strategies.js';
import type { Detector, Span, Strategy } from './types.js';

/** A detector and the strategy its rule(s) apply to what it finds. */
export interface DetectorEntry {
  readonly detector: Detector;
  readonly strategy: Strategy;
}

interface Hit extends Span {
  detector: string;
  strategy: Strategy;
}

/**
 * Runs a fixed set of detectors over free text and replaces what they find. One combined
 * pre-check (the OR of the detectors' hints) lets the common clean value through after a
 * single regex test.
 */
export class TextMasker {
  readonly #entries: ReadonlyArray<DetectorEntry>;
  readonly #key: Buffer | undefined;
  /** null: some detector has no hint, so every value is scanned. */
  readonly #precheck: RegExp | null;

  constructor(entries: ReadonlyArray<DetectorEntry>, key: Buffer | undefined) {
    this.#entries = entries;
    this.#key = key;
    const hints = entries.map((entry) => entry.detector.hint);
    this.#precheck = hints.some((hint) => hint === null)
      ? null
      : new RegExp(hints.map((hint) => `(?:${hint})`).join('|'));
  }

  get empty(): boolean {
    return this.#entries.length === 0;
  }

  mask(text: string): string {
    if (this.#entries.length === 0 || text.length === 0) return text;
    if (this.#precheck !== null && !this.#precheck.test(text)) return text;
    const hits: Hit[] = [];
    const spans: Span[] = [];
    for (const { detector, strategy } of this.#entries) {
      spans.length = 0;
      detector.find(text, spans);
      for (const span of spans) hits.push({ ...span, detector: detector.name, strategy });
    }
    return hits.length === 0 ? text : this.#replace(text, hits);
  }

  /** Merges overlapping hits (the strongest strategy wins) and rebuilds the text. */
  #replace(text: string, hits: Hit[]): string {
    hits.sort((a, b) => a.start - b.start || b.end - a.end);
    let result = '';
    let cursor = 0;
    let current = hits[0]!;
    const flush = (hit: Hit) => {
      result += text.slice(cursor, hit.start);
      result += maskSpan(hit.strategy, text.slice(hit.start, hit.end), hit.detector, this.#key);
      cursor = hit.end;
    };
    for (let i = 1; i < hits.length; i++) {
      const next = hits[i]!;
      if (next.start < current.end) {
        current = {
          ...current,
          end: Math.max(current.end, next.end),
          strategy: stronger(current.strategy, next.strategy),
        };
      } else {
        flush(current);
        current = next;
      }
    }
    flush(current);
    return result + text.slice(cursor);
  }
}
