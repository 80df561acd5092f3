import type { KeyedHasher } from './keyed-hash.js';
import type { Strategy } from './types.js';

/** What a whole cell becomes under `redact`. */
export const REDACTED = '[redacted]';

/** Characters `keep_last_N` leaves in place so formatted numbers stay readable. */
const KEPT_SEPARATORS = new Set([' ', '-']);
const MASKABLE = /[^ -]/g;

/** `redact` | `hash` | `null` | `keep_last_<N>` → Strategy, or undefined when not one of them. */
export function parseStrategy(text: string): Strategy | undefined {
  if (text === 'redact' || text === 'hash' || text === 'null') return { kind: text };
  const m = /^keep_last_(\d{1,4})$/.exec(text);
  return m ? { kind: 'keep_last', n: Number(m[1]) } : undefined;
}

/**
 * How much a strategy hides, to pick one when several rules hit the same value: null and
 * redact reveal nothing, a hash lets equal values be correlated, keep_last reveals N characters
 * (fewer is stronger).
 */
export function strength(strategy: Strategy): number {
  switch (strategy.kind) {
    case 'null':
      return 4_000_000;
    case 'redact':
      return 3_000_000;
    case 'hash':
      return 2_000_000;
    case 'keep_last':
      return 1_000_000 - Math.min(strategy.n, 999_999);
  }
}

/** The stronger of two strategies (the first on a tie). */
export function stronger(a: Strategy, b: Strategy): Strategy {
  return strength(b) > strength(a) ? b : a;
}

/**
 * Replaces every character but the last `n` with `*`, counting in code points and leaving
 * spaces and dashes in place. A value of `n` characters or fewer is masked entirely: keeping
 * "the last 4" of a 4-character value would keep all of it.
 */
export function keepLast(value: string, n: number): string {
  // Surrogate pairs (astral code points) need the slower per-code-point path.
  if (/[\uD800-\uDFFF]/.test(value)) return keepLastCodePoints(value, n);
  let kept = 0;
  for (let i = 0; i < value.length; i++) if (!KEPT_SEPARATORS.has(value[i]!)) kept++;
  let reveal = kept > n ? n : 0;
  let tail = value.length;
  while (tail > 0 && reveal > 0) {
    if (!KEPT_SEPARATORS.has(value[tail - 1]!)) reveal--;
    tail--;
  }
  return value.slice(0, tail).replace(MASKABLE, '*') + value.slice(tail);
}

function keepLastCodePoints(value: string, n: number): string {
  const chars = Array.from(value);
  let kept = 0;
  for (const ch of chars) if (!KEPT_SEPARATORS.has(ch)) kept++;
  let reveal = kept > n ? n : 0;
  for (let i = chars.length - 1; i >= 0; i--) {
    if (KEPT_SEPARATORS.has(chars[i]!)) continue;
    if (reveal > 0) reveal--;
    else chars[i] = '*';
  }
  return chars.join('');
}

/** Masks a whole value: `null` makes it the protocol's null. */
export function maskCell(
  strategy: Strategy,
  value: string,
  hasher: KeyedHasher | undefined,
): string | null {
  switch (strategy.kind) {
    case 'null':
      return null;
    case 'redact':
      return REDACTED;
    case 'hash':
      return hasher!.hash(value);
    case 'keep_last':
      return keepLast(value, strategy.n);
  }
}

/**
 * Masks a span found by a detector inside a larger text. `null` cannot empty part of a
 * string, so it degrades to `redact`; redaction names the detector: `[redacted:email]`.
 */
export function maskSpan(
  strategy: Strategy,
  value: string,
  detector: string,
  hasher: KeyedHasher | undefined,
): string {
  switch (strategy.kind) {
    case 'null':
    case 'redact':
      return `[redacted:${detector}]`;
    case 'hash':
      return hasher!.hash(value);
    case 'keep_last':
      return keepLast(value, strategy.n);
  }
}
