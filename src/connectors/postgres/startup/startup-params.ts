/**
 * Which client startup parameters reach the target. Only session settings that change how
 * values are rendered pass; anything else (`options`, `search_path`, arbitrary GUCs) could
 * change behaviour without going through the gate, where a SET statement would be classified.
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

/** `-c gatehouse.reason=…` in the startup `options` (what `gatehouse exec --reason` sends). */
const REASON_OPTION = 'gatehouse.reason';

export function splitStartupParams(params: ReadonlyMap<string, string>): {
  forwarded: Record<string, string>;
  dropped: string[];
  reason?: string;
} {
  const forwarded: Record<string, string> = {};
  const dropped: string[] = [];
  let reason: string | undefined;
  for (const [name, value] of params) {
    const canonical = FORWARDED.get(name.toLowerCase());
    const stated = name === 'options' ? reasonOption(value) : undefined;
    if (canonical === 'client_encoding' && UNSAFE_ENCODINGS.has(normalizeEncoding(value))) {
      dropped.push(`client_encoding=${value} (only ASCII-safe encodings such as UTF8)`);
    } else if (canonical) forwarded[canonical] = value;
    else if (stated !== undefined) reason = stated;
    else if (!CONSUMED.has(name) && !name.startsWith('_pq_.')) dropped.push(name);
  }
  return { forwarded, dropped, reason };
}

const normalizeEncoding = (value: string) => value.toLowerCase().replace(/[^a-z0-9]/g, '');

/**
 * The reason from `options` when that is all `options` holds; undefined otherwise (then the
 * whole `options` is dropped like any other parameter). Backslash escapes per libpq.
 */
function reasonOption(options: string): string | undefined {
  const words: string[] = [];
  let word = '';
  for (let i = 0; i < options.length; i++) {
    const char = options[i]!;
    if (char === '\\' && i + 1 < options.length) word += options[++i];
    else if (/\s/.test(char)) {
      if (word) words.push(word);
      word = '';
    } else word += char;
  }
  if (word) words.push(word);
  const [flag, setting] = words.length === 1 ? ['-c', words[0]!.replace(/^--/, '')] : words;
  if (words.length > 2 || flag !== '-c' || !setting?.startsWith(`${REASON_OPTION}=`))
    return undefined;
  return setting.slice(REASON_OPTION.length + 1).slice(0, 1000) || undefined;
}
