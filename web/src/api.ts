/** A refusal or failure from the API, with its stable error code. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly hint?: string,
    /** The whole answer, for refusals that carry more (a policy document's issues). */
    readonly body?: Record<string, unknown>,
  ) {
    super(message);
  }
}

let csrfToken = '';
const signedOutListeners = new Set<() => void>();

/** The session's anti-CSRF token, sent on every write (GET /console/session hands it out). */
export function setCsrfToken(token: string): void {
  csrfToken = token;
}

/** Called when the API says the session is gone (expired, signed out elsewhere). */
export function onSignedOut(listener: () => void): () => void {
  signedOutListeners.add(listener);
  return () => signedOutListeners.delete(listener);
}

/** JSON request to this origin with the session cookie; throws ApiError on a non-2xx answer. */
export async function api<T>(
  path: string,
  init: { method?: string; body?: unknown } = {},
): Promise<T> {
  const method = init.method ?? 'GET';
  const headers: Record<string, string> = { accept: 'application/json' };
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET') headers['x-gatehouse-csrf'] = csrfToken;
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
  } catch {
    throw new ApiError(0, 'network', 'The gateway could not be reached. Check your connection.');
  }
  if (response.status === 204) return undefined as T;
  const body = (await response.json().catch(() => undefined)) as
    | Record<string, unknown>
    | undefined;
  if (!response.ok) {
    const code = typeof body?.['error'] === 'string' ? body['error'] : `http_${response.status}`;
    const message = typeof body?.['message'] === 'string' ? body['message'] : response.statusText;
    if (response.status === 401 && path !== '/console/session') {
      for (const listener of signedOutListeners) listener();
    }
    throw new ApiError(response.status, code, message, body?.['hint'] as string | undefined, body);
  }
  return body as T;
}

/** Query string from the defined, non-empty values. */
export function query(params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== '') search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}
