/**
 * Masks fields of a record as PostgreSQL writes it (record_out: `(1,ann,"a b",)`), by position,
 * keeping the other fields' bytes. https://www.postgresql.org/docs/current/rowtypes.html#ROWTYPES-IO-SYNTAX
 */
import type { ColumnMaskFn } from '../../../masking/index.js';

/**
 * The record with field i masked by `masks[i]` (NULL fields stay NULL); undefined when the text
 * is not a record of exactly that many fields.
 */
export function maskRecordFields(
  text: string,
  masks: ReadonlyArray<ColumnMaskFn | undefined>,
): string | undefined {
  if (text[0] !== '(' || text[text.length - 1] !== ')') return undefined;
  const out: string[] = ['('];
  let at = 1;
  let index = 0;
  for (;;) {
    const start = at;
    let value = '';
    let quoted = false;
    while (at < text.length - 1 || (at === text.length - 1 && quoted)) {
      const c = text[at]!;
      if (quoted) {
        if (c === '"' && text[at + 1] === '"') {
          value += '"';
          at += 2;
        } else if (c === '"') {
          quoted = false;
          at++;
        } else if (c === '\\') {
          value += text[at + 1] ?? '';
          at += 2;
        } else {
          value += c;
          at++;
        }
        continue;
      }
      if (c === ',') break;
      if (c === '"') quoted = true;
      else if (c === '\\') {
        value += text[at + 1] ?? '';
        at++;
      } else value += c;
      at++;
    }
    if (quoted || at > text.length - 1) return undefined;
    const raw = text.slice(start, at);
    const mask = masks[index];
    if (mask && raw !== '') {
      const masked = mask(value);
      out.push(masked === null ? '' : `"${masked.replace(/["\\]/g, (c) => c + c)}"`);
    } else out.push(raw);
    index++;
    if (at === text.length - 1) break;
    out.push(',');
    at++;
  }
  if (index !== masks.length) return undefined;
  out.push(')');
  return out.join('');
}
