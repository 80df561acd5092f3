import type { Detector, Span } from '../types.js';
import { digitGroups, eachMatch, isAlnumAt } from './text-scan.js';

/** `+` country code and 7-14 more digits, grouped by spaces, dots, dashes or `(..)`. */
const INTERNATIONAL = /(?<![0-9A-Za-z+])\+\d(?:[ .-]?(?:\(\d{1,4}\)|\d)){6,18}/g;

/** North American: `(555) 123-4567`, `555-123-4567`, `555.123.4567`, `1 555 123 4567`. */
const NANP =
  /(?<![0-9A-Za-z+.-])(?:1[ .-]?)?(?:\(\d{3}\)[ .-]?|\d{3}[ .-])\d{3}[ .-]\d{4}(?![0-9A-Za-z])/g;

/**
 * National formats with a trunk prefix 0 (then a non-zero area code, or 00 and a country code)
 * and one separator used throughout: `020 7946 0958`, `01 23 45 67 89`, `030-1234567`,
 * `0044 20 7946 0958`. Not right after `<digit>:`, where it is the seconds of a time.
 */
const TRUNK =
  /(?<![0-9A-Za-z+.,-]|\d:)0(?:0[1-9]\d{0,2}|[1-9]\d{0,3})([ .-])\d{2,8}(?:\1\d{2,8}){0,4}(?![0-9A-Za-z])/g;

function digitCount(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) n++;
  }
  return n;
}

/**
 * Phone numbers in E.164 and common national formats. A plain integer is never a phone number
 * here: a match needs a leading `+` or separators in a phone-shaped grouping, which keeps ids,
 * amounts, dates and times out.
 */
export const phoneDetector: Detector = {
  name: 'phone',
  // Each alternative is the start of one of the three patterns, so it matches wherever they do.
  hint: [
    '\\+\\d(?:[ .-]?(?:\\(\\d{1,4}\\)|\\d)){6}',
    '(?:\\(\\d{3}\\)[ .-]?|\\d{3}[ .-])\\d{3}[ .-]\\d{4}',
    '(?<![0-9A-Za-z+.,-]|\\d:)0\\d{1,4}[ .-]\\d{2}',
  ].join('|'),
  find(text: string, out: Span[]): void {
    eachMatch(INTERNATIONAL, text, (m) => {
      // The greedy match may run into a following number; cut back to whole groups holding
      // 8-15 digits that are not glued to a following letter or digit.
      const start = m.index;
      const matchEnd = start + m[0].length;
      const groups = digitGroups(text, start, matchEnd);
      let digits = 0;
      let best = -1;
      for (const [gs, ge] of groups) {
        digits += ge - gs;
        if (digits > 15) break;
        if (digits >= 8 && !isAlnumAt(text, ge)) best = text[ge] === ')' ? ge + 1 : ge;
      }
      if (best === -1) return start + 1;
      out.push({ start, end: best });
      return best;
    });
    eachMatch(NANP, text, (m) => {
      // No area/exchange digit rules: test data like 555-123-4567 is still a phone number.
      out.push({ start: m.index, end: m.index + m[0].length });
    });
    eachMatch(TRUNK, text, (m) => {
      const n = digitCount(m[0]);
      const max = m[0].startsWith('00') ? 15 : 12;
      if (n >= 9 && n <= max) out.push({ start: m.index, end: m.index + m[0].length });
    });
  },
};
