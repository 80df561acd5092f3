import { unsafePatternReason } from '../regex-safety.js';
import type { Detector, Span } from '../types.js';
import { eachMatch } from './text-scan.js';

/**
 * Custom patterns are scanned in windows of this many characters: a pattern that passed the
 * static checks backtracks at most quadratically in its input, so one window costs a bounded
 * amount. Windows overlap so matches up to `CUSTOM_OVERLAP` long are never cut in two.
 */
export const CUSTOM_WINDOW = 512;
export const CUSTOM_OVERLAP = 128;
/**
 * Time one custom pattern may spend on one value. Past it, the rest of the value is treated
 * as a match (fail closed): a value built to make the pattern slow is not let through unscanned.
 */
export const CUSTOM_BUDGET_MS = 25;

/** `/source/flags` (flags from `imsu`) or a bare source. */
function parsePattern(pattern: string): { source: string; flags: string } {
  const m = /^\/(.+)\/([imsu]*)$/s.exec(pattern);
  return m ? { source: m[1]!, flags: m[2]! } : { source: pattern, flags: '' };
}

/**
 * A detector from `masking.custom.<name>`. Throws TypeError when the pattern does not compile,
 * matches the empty string, has a catastrophic-backtracking shape, or more than one unbounded
 * repetition.
 */
export function customDetector(name: string, pattern: string): Detector {
  const { source, flags } = parsePattern(pattern);
  let regex: RegExp;
  try {
    regex = new RegExp(source, `${flags}g`);
  } catch (err) {
    throw new TypeError(`invalid regular expression: ${(err as Error).message}`);
  }
  const unsafe = unsafePatternReason(source, 1);
  if (unsafe) throw new TypeError(`pattern refused: ${unsafe}`);
  if (new RegExp(source, flags).test('')) {
    throw new TypeError('pattern matches the empty string');
  }
  const scan = (text: string, offset: number, out: Span[]) => {
    eachMatch(regex, text, (m) => {
      out.push({ start: offset + m.index, end: offset + m.index + m[0].length });
    });
  };
  return {
    name,
    hint: null,
    find(text: string, out: Span[]): void {
      if (text.length <= CUSTOM_WINDOW) {
        scan(text, 0, out);
        return;
      }
      const deadline = performance.now() + CUSTOM_BUDGET_MS;
      for (let from = 0; from < text.length; from += CUSTOM_WINDOW - CUSTOM_OVERLAP) {
        if (performance.now() > deadline) {
          out.push({ start: from, end: text.length });
          return;
        }
        scan(text.slice(from, from + CUSTOM_WINDOW), from, out);
        if (from + CUSTOM_WINDOW >= text.length) return;
      }
    },
  };
}
