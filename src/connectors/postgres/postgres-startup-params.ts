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

export function splitStartupParams(params: ReadonlyMap<string, string>): {
  forwarded: Record<string, string>;
  dropped: string[];
} {
  const forwarded: Record<string, string> = {};
  const dropped: string[] = [];
  for (const [name, value] of params) {
    const canonical = FORWARDED.get(name.toLowerCase());
    if (canonical) forwarded[canonical] = value;
    else if (!CONSUMED.has(name) && !name.startsWith('_pq_.')) dropped.push(name);
  }
  return { forwarded, dropped };
}
