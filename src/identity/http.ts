import { isLoopback } from '../config/schema.js';

/** Largest discovery, JWKS or Graph response we read; real ones are a few kilobytes. */
const MAX_RESPONSE_BYTES = 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 5_000;

/** The HTTP seam every identity request goes through, so tests can point it anywhere. */
export interface HttpClient {
  fetch: typeof fetch;
  timeoutMs?: number;
}

/** Why an HTTP exchange with an issuer or Graph failed; callers turn it into `issuer_unavailable`. */
export class HttpFailure extends Error {
  override readonly name = 'HttpFailure';
  constructor(
    message: string,
    readonly status?: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * True when a URL may carry identity traffic: https anywhere, plain http only to loopback
 * (docs/identity.md, "Issuer URLs"), since keys and tokens fetched over plain http could be swapped
 * in transit.
 */
export function isSecureUrl(url: URL): boolean {
  if (url.protocol === 'https:') return true;
  return url.protocol === 'http:' && isLoopback(url.hostname.replace(/^\[|\]$/g, ''));
}

/** Parses a configured URL and refuses plain http off loopback; a config mistake, so TypeError. */
export function requireSecureUrl(text: string, what: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new TypeError(`${what} "${text}" is not a URL`);
  }
  if (!isSecureUrl(url)) {
    throw new TypeError(
      `${what} "${text}" must use https (plain http is accepted only on loopback)`,
    );
  }
  return url;
}

/** Fetches JSON with a timeout, no redirects and a size cap; throws HttpFailure on any problem. */
export async function fetchJson(
  http: HttpClient,
  url: URL | string,
  init: RequestInit = {},
): Promise<unknown> {
  let response: Response;
  try {
    response = await http.fetch(url, {
      ...init,
      redirect: 'manual',
      signal: AbortSignal.timeout(http.timeoutMs ?? DEFAULT_TIMEOUT_MS),
      headers: { accept: 'application/json', ...init.headers },
    });
  } catch (err) {
    const reason = err instanceof Error && err.name === 'TimeoutError' ? 'timed out' : 'failed';
    throw new HttpFailure(`request to ${String(url)} ${reason}`, undefined, { cause: err });
  }
  const body = await response.text().catch((err: unknown) => {
    throw new HttpFailure(`reading the response from ${String(url)} failed`, response.status, {
      cause: err,
    });
  });
  if (response.status < 200 || response.status > 299) {
    throw new HttpFailure(`${String(url)} answered HTTP ${response.status}`, response.status);
  }
  if (body.length > MAX_RESPONSE_BYTES) {
    throw new HttpFailure(`${String(url)} answered with an oversized body`, response.status);
  }
  try {
    return JSON.parse(body) as unknown;
  } catch (err) {
    throw new HttpFailure(`${String(url)} did not answer with JSON`, response.status, {
      cause: err,
    });
  }
}

/** Narrows parsed JSON to a plain object. */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
