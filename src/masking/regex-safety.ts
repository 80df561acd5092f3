/**
 * Static checks on user-supplied patterns against runaway backtracking. JavaScript has no
 * linear-time regex engine built in, so shapes known to blow up are refused at start:
 * - a widely repeated group containing a wide repetition or an alternation (`(a+)+`,
 *   `(\w*\s?)*`, `(a|ab)*`, `(x{1,100}){1,50}`): exponential;
 * - optionally, more than one unbounded repetition (`\d+\d+x`): polynomial of higher degree.
 * What remains is at most quadratic per scanned window; see detectors/custom.ts.
 */

/** A repetition allowing more than this many extra rounds counts as wide. */
const MAX_NARROW_SPREAD = 10;

interface Quantifier {
  length: number;
  /** max - min > MAX_NARROW_SPREAD (or no max). */
  wide: boolean;
  /** No max: `*`, `+`, `{n,}`. */
  unbounded: boolean;
}

/** Skips a `[...]` class starting at `i`; returns the index after `]`. */
function skipClass(source: string, i: number): number {
  let j = i + 1;
  if (source[j] === ']') j++;
  while (j < source.length && source[j] !== ']') j += source[j] === '\\' ? 2 : 1;
  return j + 1;
}

function quantifierAt(source: string, i: number): Quantifier {
  const c = source[i];
  const q: Quantifier = { length: 0, wide: false, unbounded: false };
  if (c === '*' || c === '+') {
    Object.assign(q, { length: 1, wide: true, unbounded: true });
  } else if (c === '?') {
    q.length = 1;
  } else if (c === '{') {
    const m = /^\{(\d+)(,(\d*))?\}/.exec(source.slice(i, i + 24));
    if (m) {
      const min = Number(m[1]);
      const max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
      Object.assign(q, {
        length: m[0].length,
        wide: max - min > MAX_NARROW_SPREAD,
        unbounded: max === Infinity,
      });
    }
  }
  if (q.length > 0 && source[i + q.length] === '?') q.length++;
  return q;
}

/** Length of a group opener's `?…` prefix at `i` (0 for a plain capturing group). */
function groupPrefixLength(source: string, i: number): number {
  if (source[i] !== '?') return 0;
  const m = /^\?(?:<[=!]|<[A-Za-z_$][\w$]*>|[:=!]|[imsx-]+:)/.exec(source.slice(i, i + 40));
  return m ? m[0].length : 1;
}

interface Group {
  wide: boolean;
  alternation: boolean;
}

/**
 * Why `source` is refused, or undefined when it passes. `maxUnbounded` limits the number of
 * `*`, `+` and `{n,}` in the whole pattern (Infinity: no limit).
 */
export function unsafePatternReason(source: string, maxUnbounded = Infinity): string | undefined {
  const groups: Group[] = [];
  let unbounded = 0;
  let i = 0;
  while (i < source.length) {
    const c = source[i]!;
    let closed: Group | undefined;
    if (c === '\\') {
      i += 2;
      if (source[i] === '{' && /[pPu]/.test(source[i - 1]!)) i = source.indexOf('}', i) + 1 || i;
    } else if (c === '[') {
      i = skipClass(source, i);
    } else if (c === '(') {
      groups.push({ wide: false, alternation: false });
      i += 1 + groupPrefixLength(source, i + 1);
      continue;
    } else if (c === ')') {
      closed = groups.pop();
      i++;
    } else {
      if (c === '|' && groups.length > 0) groups[groups.length - 1]!.alternation = true;
      i++;
      if (c === '|' || c === '^' || c === '$') continue;
    }
    const q = quantifierAt(source, i);
    if (q.wide && closed && (closed.wide || closed.alternation)) {
      return 'a widely repeated group contains a repetition or alternation (catastrophic backtracking)';
    }
    if (q.unbounded && ++unbounded > maxUnbounded) {
      return `more than ${maxUnbounded} unbounded repetition (*, +, {n,}); bound the others, e.g. {1,64}`;
    }
    i += q.length;
    const parent = groups.at(-1);
    if (parent) {
      parent.wide ||= q.wide || (closed?.wide ?? false);
      parent.alternation ||= closed?.alternation ?? false;
    }
  }
  return undefined;
}
