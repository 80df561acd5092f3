import { parseRetryAfter, type StatusVerdict, statusVerdict } from './retry-policy.js';

/** How one HTTP attempt ended. `reason` is safe to log: it never contains the URL. */
export interface AttemptResult {
  verdict: StatusVerdict;
  status?: number;
  retryAfterMs?: number;
  reason: string;
}

export interface AttemptOptions {
  fetch: typeof fetch;
  timeoutMs: number;
  /** Aborted when the dispatcher shuts down. */
  shutdown: AbortSignal;
  now: number;
}

const SNIPPET_BYTES = 300;

/** Removes the URL's secret-bearing parts should the receiver echo them (many 404 pages do). */
function scrub(text: string, url: URL): string {
  let out = text;
  for (const part of [url.href, url.pathname + url.search, url.pathname, url.search]) {
    if (part.length > 1) out = out.replaceAll(part, '[redacted]');
  }
  return out;
}

/** The first bytes of an error response (Slack says why in plain text), then lets go. */
async function snippet(response: Response, url: URL): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  // Read past the cut by one URL length so an echoed URL straddling it is still scrubbed whole.
  const limit = SNIPPET_BYTES + url.href.length;
  let size = 0;
  try {
    while (size < limit) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.length;
    }
  } catch {
    // A body that fails midway still leaves us with the status, which is what matters.
  } finally {
    await reader.cancel().catch(() => {});
  }
  const text = Buffer.concat(chunks).subarray(0, limit).toString('utf8');
  return scrub(text, url).slice(0, SNIPPET_BYTES).replace(/\s+/g, ' ').trim();
}

/** Describes a network error by name and code only: undici messages may quote the URL. */
function describeError(err: unknown, timedOut: boolean): string {
  if (timedOut) return 'timed out';
  const error = err as { name?: string; code?: string; cause?: { code?: string; name?: string } };
  const code = error.cause?.code ?? error.code ?? error.cause?.name;
  return code ? `network error (${code})` : `network error (${error.name ?? 'unknown'})`;
}

/**
 * Posts once. Redirects are not followed (Standard Webhooks treats 3xx as failure, and a
 * redirect would carry the body to another host). Never throws.
 */
export async function sendAttempt(
  url: URL,
  body: string,
  headers: Record<string, string>,
  options: AttemptOptions,
): Promise<AttemptResult> {
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = AbortSignal.any([timeout, options.shutdown]);
  try {
    const response = await options.fetch(url, {
      method: 'POST',
      headers: { 'user-agent': 'gatehouse-notifier', ...headers },
      body,
      redirect: 'manual',
      signal,
    });
    const verdict = statusVerdict(response.status);
    if (verdict === 'delivered') {
      await response.body?.cancel().catch(() => {});
      return { verdict, status: response.status, reason: `HTTP ${response.status}` };
    }
    const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), options.now);
    const text = await snippet(response, url);
    return {
      verdict,
      status: response.status,
      ...(retryAfterMs !== undefined && { retryAfterMs }),
      reason: `HTTP ${response.status}${text ? `: ${text}` : ''}`,
    };
  } catch (err) {
    if (options.shutdown.aborted && !timeout.aborted) {
      return { verdict: 'fail', reason: 'shutting down' };
    }
    return { verdict: 'retry', reason: describeError(err, timeout.aborted) };
  }
}
