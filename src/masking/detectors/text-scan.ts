/** Small helpers shared by the detectors' scanners. */

/** True when the code unit at `i` is an ASCII letter or digit (false outside the string). */
export function isAlnumAt(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/** True when the code unit at `i` is an ASCII letter (false outside the string). */
export function isLetterAt(text: string, i: number): boolean {
  const c = text.charCodeAt(i) | 0x20;
  return c >= 97 && c <= 122;
}

/** The maximal runs of ASCII digits inside `text[start, end)`. */
export function digitGroups(text: string, start: number, end: number): Array<[number, number]> {
  const groups: Array<[number, number]> = [];
  let i = start;
  while (i < end) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) {
      i++;
      continue;
    }
    const from = i;
    while (i < end && text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57) i++;
    groups.push([from, i]);
  }
  return groups;
}

/** The ASCII digits of `text[start, end)`. */
export function digitsOf(text: string, start: number, end: number): string {
  let digits = '';
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) digits += text[i];
  }
  return digits;
}

/** Regex source matching `word` in any letter case, for the flag-less pre-check. */
export function caseless(word: string): string {
  let source = '';
  for (const ch of word) {
    const lower = ch.toLowerCase();
    const upper = ch.toUpperCase();
    source += lower === upper ? ch.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&') : `[${lower}${upper}]`;
  }
  return source;
}

/**
 * Runs a global regex from the start and calls `onMatch` for each match. `onMatch` may return
 * where to resume (after cutting a greedy match short, the rest can hold the next value).
 */
export function eachMatch(
  regex: RegExp,
  text: string,
  onMatch: (match: RegExpExecArray) => unknown,
): void {
  regex.lastIndex = 0;
  for (let m = regex.exec(text); m !== null; m = regex.exec(text)) {
    if (m[0].length === 0) {
      regex.lastIndex++;
      continue;
    }
    const resume = onMatch(m);
    if (typeof resume === 'number') regex.lastIndex = Math.max(resume, m.index + 1);
  }
}
