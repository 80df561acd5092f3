/**
 * Masks the values of named keys, at any depth, inside a JSON text as PostgreSQL writes it
 * (json or jsonb output), keeping every other byte: numbers are not re-read (a bigint or a
 * numeric would lose digits through JSON.parse), spacing and key order stay.
 */
import type { ColumnMaskFn } from '../../../masking/index.js';

/** The text with each masked key's value replaced; undefined when it is not JSON. */
export function maskJsonKeys(
  text: string,
  keys: ReadonlyMap<string, ColumnMaskFn>,
): string | undefined {
  const out: string[] = [];
  let copied = 0;
  let at = 0;

  const space = () => {
    while (at < text.length && ' \t\n\r'.includes(text[at]!)) at++;
  };
  /** Reads a string starting at `at` (a quote); returns its value. */
  const string = (): string => {
    const start = at;
    at++;
    while (at < text.length && text[at] !== '"') at += text[at] === '\\' ? 2 : 1;
    if (at >= text.length) throw new SyntaxError('unterminated string');
    at++;
    return JSON.parse(text.slice(start, at)) as string;
  };
  const value = (): void => {
    space();
    const c = text[at];
    if (c === '{') {
      at++;
      space();
      if (text[at] === '}') {
        at++;
        return;
      }
      for (;;) {
        space();
        if (text[at] !== '"') throw new SyntaxError('key expected');
        const key = string();
        space();
        if (text[at] !== ':') throw new SyntaxError('colon expected');
        at++;
        space();
        const mask = keys.get(key);
        const start = at;
        value();
        if (mask) {
          const raw = text.slice(start, at);
          if (raw !== 'null') {
            const plain = raw.startsWith('"') ? (JSON.parse(raw) as string) : raw;
            const masked = mask(plain);
            out.push(text.slice(copied, start), masked === null ? 'null' : JSON.stringify(masked));
            copied = at;
          }
        }
        space();
        if (text[at] === ',') {
          at++;
          continue;
        }
        if (text[at] === '}') {
          at++;
          return;
        }
        throw new SyntaxError('object not closed');
      }
    }
    if (c === '[') {
      at++;
      space();
      if (text[at] === ']') {
        at++;
        return;
      }
      for (;;) {
        value();
        space();
        if (text[at] === ',') {
          at++;
          continue;
        }
        if (text[at] === ']') {
          at++;
          return;
        }
        throw new SyntaxError('array not closed');
      }
    }
    if (c === '"') {
      string();
      return;
    }
    const start = at;
    while (at < text.length && !',}] \t\n\r'.includes(text[at]!)) at++;
    if (at === start) throw new SyntaxError('value expected');
  };

  try {
    value();
    space();
    if (at !== text.length) return undefined;
  } catch {
    return undefined;
  }
  if (copied === 0) return text;
  out.push(text.slice(copied));
  return out.join('');
}
