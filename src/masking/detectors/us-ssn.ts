import { ssnValid } from '../checksums.js';
import type { Detector, Span } from '../types.js';
import { caseless, eachMatch } from './text-scan.js';

/** `123-45-6789` or `123 45 6789`, the same separator twice, not part of a longer token. */
const FORMATTED = /(?<![0-9A-Za-z-])(\d{3})([- ])(\d{2})\2(\d{4})(?![0-9A-Za-z-])/g;

/**
 * Nine bare digits count only right after an `ssn` / `social security (number)` label, as in
 * `ssn: 123456789` or row_to_json's `"ssn":"123456789"`: bare nine-digit numbers are far too
 * common otherwise.
 */
const LABELLED =
  /(?<![A-Za-z])(?:ssn|social[ _-]?security(?:[ _-]?(?:number|num|no))?)(?![A-Za-z])[^0-9A-Za-z]{0,6}(\d{3})(\d{2})(\d{4})(?![0-9])/gi;

/** US Social Security numbers, with the SSA's area/group/serial rules. */
export const usSsnDetector: Detector = {
  name: 'us_ssn',
  hint: `\\d{3}[- ]\\d{2}[- ]\\d{4}|${caseless('ssn')}|${caseless('social')}`,
  find(text: string, out: Span[]): void {
    eachMatch(FORMATTED, text, (m) => {
      if (ssnValid(m[1]!, m[3]!, m[4]!)) out.push({ start: m.index, end: m.index + m[0].length });
    });
    eachMatch(LABELLED, text, (m) => {
      if (!ssnValid(m[1]!, m[2]!, m[3]!)) return;
      const end = m.index + m[0].length;
      out.push({ start: end - 9, end });
    });
  },
};
