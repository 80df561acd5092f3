import type { Detector, Span } from '../types.js';

const MAX_LOCAL = 64;
const MAX_DOMAIN = 253;

function isLocalChar(c: number): boolean {
  // A-Z a-z 0-9 . _ % + -  (quotes, braces and the like are left out on purpose: they
  // delimit values in query text, JSON and array literals far more often than they occur in
  // real addresses)
  return (
    (c >= 48 && c <= 57) ||
    (c >= 65 && c <= 90) ||
    (c >= 97 && c <= 122) ||
    c === 46 ||
    c === 95 ||
    c === 37 ||
    c === 43 ||
    c === 45
  );
}

function isDomainChar(c: number): boolean {
  return (
    (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 46 || c === 45
  );
}

/** End of a valid `label(.label)+` domain starting at `from`, or -1. */
function domainEnd(text: string, from: number): number {
  let end = from;
  const limit = Math.min(text.length, from + MAX_DOMAIN);
  while (end < limit && isDomainChar(text.charCodeAt(end))) end++;
  // A trailing dot or dash ends the sentence, not the address.
  while (end > from && (text[end - 1] === '.' || text[end - 1] === '-')) end--;
  const labels = text.slice(from, end).split('.');
  if (labels.length < 2) return -1;
  for (const label of labels) {
    if (label.length === 0 || label.length > 63 || label.startsWith('-')) return -1;
  }
  const tld = labels[labels.length - 1]!;
  return /^[A-Za-z]{2,63}$/.test(tld) ? end : -1;
}

/**
 * Email addresses: anchored on each `@`, expanded left over the local part and right over a
 * dotted domain with an alphabetic TLD. Scanning from the anchor keeps it linear in the input.
 */
export const emailDetector: Detector = {
  name: 'email',
  hint: '@',
  find(text: string, out: Span[]): void {
    let at = text.indexOf('@');
    while (at !== -1) {
      let start = at;
      const floor = Math.max(0, at - MAX_LOCAL);
      while (start > floor && isLocalChar(text.charCodeAt(start - 1))) start--;
      while (start < at && text[start] === '.') start++;
      const end = start < at ? domainEnd(text, at + 1) : -1;
      if (end !== -1) {
        out.push({ start, end });
        at = text.indexOf('@', end);
      } else {
        at = text.indexOf('@', at + 1);
      }
    }
  },
};
