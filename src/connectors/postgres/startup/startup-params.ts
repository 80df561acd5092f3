/**
 * Which client startup parameters reach the target as they are. Only session settings that
 * change how values are rendered pass; other GUCs sent as parameters (`search_path`, …) are
 * dropped. `options` is returned apart: its settings pass through the gate (admission.ts).
 */
const FORWARDED = new Map(
  [
    'application_name',
    'client_encoding',
    'DateStyle',
    'TimeZone',
    'IntervalStyle',
    'extra_float_digits',
  ].map((name) => [name.toLowerCase(), name]),
);

/** Names the gateway consumes itself. */
const CONSUMED = new Set(['user', 'database', 'replication']);

/**
 * Client encodings whose multibyte characters can contain ASCII bytes such as `\` or `'`: the
 * server would then split a query differently from the parser that classified it (UTF-8).
 * https://www.postgresql.org/docs/current/multibyte.html
 */
const UNSAFE_ENCODINGS = new Set(['sjis', 'shiftjis', 'big5', 'gbk', 'gb18030', 'uhc', 'johab']);

/**
 * Splits the client's startup parameters: rendering settings for the target, `options` (read by
 * startup-options.ts, classified setting by setting), and names that are dropped with a warning.
 */
export function splitStartupParams(params: ReadonlyMap<string, string>): {
  forwarded: Record<string, string>;
  dropped: string[];
  options?: string;
} {
  const forwarded: Record<string, string> = {};
  const dropped: string[] = [];
  let options: string | undefined;
  for (const [name, value] of params) {
    const canonical = FORWARDED.get(name.toLowerCase());
    if (canonical === 'client_encoding' && UNSAFE_ENCODINGS.has(normalizeEncoding(value))) {
      dropped.push(`client_encoding=${value} (only ASCII-safe encodings such as UTF8)`);
    } else if (canonical) forwarded[canonical] = value;
    else if (name === 'options') options = value;
    else if (!CONSUMED.has(name) && !name.startsWith('_pq_.')) dropped.push(name);
  }
  return { forwarded, dropped, options };
}

const normalizeEncoding = (value: string) => value.toLowerCase().replace(/[^a-z0-9]/g, '');
