/**
 * When to retry a delivery and how long to wait, following the Standard Webhooks guidance
 * on status codes (https://www.standardwebhooks.com, "Delivery success and failure").
 */

/** What an HTTP status means for a delivery. */
export type StatusVerdict = 'delivered' | 'retry' | 'fail' | 'gone';

/**
 * 2xx delivered. 5xx, 429 and 408 are transient: retry. 410 Gone: the receiver asks us to
 * stop. Everything else (3xx, other 4xx) will not get better by sending the same request again.
 */
export function statusVerdict(status: number): StatusVerdict {
  if (status >= 200 && status < 300) return 'delivered';
  if (status === 410) return 'gone';
  if (status >= 500 || status === 429 || status === 408) return 'retry';
  return 'fail';
}

/**
 * `Retry-After` as milliseconds from `now`: delta-seconds or an HTTP date. Undefined when
 * absent or unreadable, so the caller falls back to its own backoff.
 */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  if (!/[a-z]/i.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/**
 * Exponential backoff with jitter before retry number `retry` (1 for the first retry):
 * half the exponential delay fixed, half random, so retries spread out but still grow.
 */
export function backoffDelay(
  retry: number,
  baseMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const exponential = Math.min(maxMs, baseMs * 2 ** Math.max(0, retry - 1));
  return Math.round(exponential / 2 + random() * (exponential / 2));
}

/** The wait before the next attempt: the server's `Retry-After` when given, within `maxMs`. */
export function nextDelay(
  retry: number,
  retryAfterMs: number | undefined,
  options: { baseMs: number; maxMs: number; random?: () => number },
): number {
  if (retryAfterMs !== undefined) return Math.min(options.maxMs, retryAfterMs);
  return backoffDelay(retry, options.baseMs, options.maxMs, options.random);
}
