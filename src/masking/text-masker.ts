import type { KeyedHasher } from './keyed-hash.js';
import { maskSpan, stronger } from './strategies.js';
import type { Detector, Span, Strategy } from './types.js';

/** A detector and the strategy its rule(s) apply to what it finds. */
export interface DetectorEntry {
  readonly detector: Detector;
  readonly strategy: Strategy;
}

interface Prepared extends DetectorEntry {
  /** The detector's own pre-check; null when it has none. */
  readonly hint: RegExp | null;
}

interface Hit extends Span {
  detector: string;
  strategy: Strategy;
}

/**
 * Up to this length one combined pre-check (the OR of all hints) is cheapest; on longer text
 * V8 scans the separate hints faster (literal prefixes let it skip ahead, the alternation
 * cannot), so only those run.
 */
const COMBINED_PRECHECK_MAX = 256;

/**
 * Runs a fixed set of detectors over free text and replaces what they find. A detector runs
 * only where its hint matches, so a clean value costs a regex test or a few, never a scan.
 */
export class TextMasker {
  readonly #entries: ReadonlyArray<Prepared>;
  readonly #key: KeyedHasher | undefined;
  /** Some detector has no hint and scans every value. */
  readonly #unhinted: boolean;
  /** The OR of the hints (null when no detector has one). */
  readonly #precheck: RegExp | null;

  constructor(entries: ReadonlyArray<DetectorEntry>, key: KeyedHasher | undefined) {
    this.#entries = entries.map((entry) => ({
      ...entry,
      hint: entry.detector.hint === null ? null : new RegExp(entry.detector.hint),
    }));
    this.#key = key;
    this.#unhinted = entries.some((entry) => entry.detector.hint === null);
    const hints = entries.flatMap((entry) => entry.detector.hint ?? []);
    this.#precheck =
      hints.length === 0 ? null : new RegExp(hints.map((hint) => `(?:${hint})`).join('|'));
  }

  mask(text: string): string {
    if (this.#entries.length === 0 || text.length === 0) return text;
    // false: no hinted detector can match, only those without a hint (custom) still run.
    const hinted =
      this.#precheck === null || text.length > COMBINED_PRECHECK_MAX || this.#precheck.test(text);
    if (!hinted && !this.#unhinted) return text;
    const hits: Hit[] = [];
    const spans: Span[] = [];
    for (const { detector, strategy, hint } of this.#entries) {
      if (hint !== null && (!hinted || !hint.test(text))) continue;
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
