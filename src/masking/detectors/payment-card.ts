import { cardIssuerValid } from '../checksums.js';
import type { Detector, Span } from '../types.js';
import { digitGroups, isLetterAt } from './text-scan.js';

/** Digits joined by single spaces or dashes: the ways card numbers are written. */
const RUN = /\d(?:[ -]?\d)*/g;
const MIN = 12;
const MAX = 19;

/** Issuer ranges start with 2-6 or 8. */
function mayStartCard(code: number): boolean {
  return (code >= 50 && code <= 54) || code === 56;
}

/**
 * Index of the last group such that groups i..that one hold a valid card number, or -1.
 * The Luhn sum is kept for both parities as digits are appended, so each extension is O(1)
 * and a run of many short groups stays linear.
 */
function longestCardFrom(
  text: string,
  groups: Array<[number, number]>,
  i: number,
  last: number,
): number {
  if (!mayStartCard(text.charCodeAt(groups[i]![0]))) return -1;
  // sums[p]: the Luhn sum if the digits at even (p = 0) or odd (p = 1) indexes are doubled.
  const sums = [0, 0];
  let digits = '';
  let best = -1;
  for (let j = i; j <= last; j++) {
    const [gs, ge] = groups[j]!;
    if (digits.length + (ge - gs) > MAX) break;
    for (let k = gs; k < ge; k++) {
      const d = text.charCodeAt(k) - 48;
      const doubled = d > 4 ? d * 2 - 9 : d * 2;
      sums[0]! += digits.length % 2 === 0 ? doubled : d;
      sums[1]! += digits.length % 2 === 0 ? d : doubled;
      digits += text[k];
    }
    // The check digit is the last one; digits an odd distance from it are doubled.
    const sum = sums[(digits.length - 1) % 2 === 1 ? 0 : 1]!;
    if (digits.length >= MIN && sum % 10 === 0 && cardIssuerValid(digits)) best = j;
  }
  return best;
}

/**
 * Payment card numbers (PAN): 12-19 digits, optionally grouped with spaces or dashes, from a
 * known issuer range and with a valid Luhn check digit. Within a longer run of groups the
 * longest valid sequence of whole groups is taken, so `4111 1111 1111 1111 2024` still yields
 * the card; an ungrouped run of 20+ digits is a number, not a card.
 */
export const paymentCardDetector: Detector = {
  name: 'payment_card',
  // A candidate starts a digit run or follows a separator, with an issuer's first digit.
  hint: '(?<!\\d)[2-68](?:[ -]?\\d){11}',
  find(text: string, out: Span[]): void {
    RUN.lastIndex = 0;
    for (let m = RUN.exec(text); m !== null; m = RUN.exec(text)) {
      const end = m.index + m[0].length;
      if (end - m.index < MIN) continue;
      const groups = digitGroups(text, m.index, end);
      // Groups glued to letters belong to some identifier (hex ids, product codes).
      const first = isLetterAt(text, m.index - 1) ? 1 : 0;
      const last = isLetterAt(text, end) ? groups.length - 2 : groups.length - 1;
      for (let i = first; i <= last; ) {
        const best = longestCardFrom(text, groups, i, last);
        if (best === -1) {
          i++;
          continue;
        }
        out.push({ start: groups[i]![0], end: groups[best]![1] });
        i = best + 1;
      }
    }
  },
};
