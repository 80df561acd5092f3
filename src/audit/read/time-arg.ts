import { parseDuration } from '../../config/duration.js';
import { GatehouseError } from '../../core/errors.js';

/**
 * A `--since`/`--until` (or `?since=`) value as epoch ms: an ISO 8601 date or time
 * (`2025-01-31`, `2025-01-31T08:00:00Z`), or a duration meaning that long ago (`24h`, `7d`).
 * Throws `invalid_request` for anything else.
 */
export function parseTimeArg(text: string, now: number, name = 'time'): number {
  const trimmed = text.trim();
  const ago = parseDuration(trimmed);
  if (ago !== undefined) return now - ago;
  if (/^\d{4}-\d{2}-\d{2}/.test(trimmed)) {
    const at = Date.parse(trimmed);
    if (!Number.isNaN(at)) return at;
  }
  throw new GatehouseError(
    'invalid_request',
    `${name} "${text}" is not an ISO 8601 time (2025-01-31T08:00:00Z) or a duration ago (24h, 7d)`,
  );
}
