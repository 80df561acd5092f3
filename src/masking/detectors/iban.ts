import { ibanChecksumValid } from '../checksums.js';
import type { Detector, Span } from '../types.js';
import { IBAN_LENGTHS } from './iban-lengths.js';
import { eachMatch, isAlnumAt } from './text-scan.js';

/** Country, check digits, then 11-30 characters, in electronic or space-grouped print form. */
const CANDIDATE = /(?<![0-9A-Za-z])[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}/g;

function lengthFits(length: number, expected: number | undefined): boolean {
  return expected !== undefined ? length === expected : length >= 15 && length <= 34;
}

/**
 * IBANs (ISO 13616) with the mod-97 checksum and, for registered countries, the exact length.
 * A greedy match that ran into a following upper-case word is cut back at spaces.
 */
export const ibanDetector: Detector = {
  name: 'iban',
  hint: '[A-Z]{2}\\d{2}(?: ?[A-Z0-9]){11}',
  find(text: string, out: Span[]): void {
    eachMatch(CANDIDATE, text, (m) => {
      const start = m.index;
      const expected = IBAN_LENGTHS[m[0].slice(0, 2)];
      let end = start + m[0].length;
      let length = m[0].replaceAll(' ', '').length;
      // Resume right after what was found (or the start), since the greedy match can have
      // swallowed the beginning of a following IBAN.
      while (end > start) {
        if (
          !isAlnumAt(text, end) &&
          lengthFits(length, expected) &&
          ibanChecksumValid(text.slice(start, end).replaceAll(' ', ''))
        ) {
          out.push({ start, end });
          return end;
        }
        const cut = text.lastIndexOf(' ', end - 1);
        length -= end - cut - 1;
        end = cut;
      }
      return start + 1;
    });
  },
};
