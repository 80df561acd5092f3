/** What a Set-Cookie header says besides name and value (RFC 6265 §4.1). */
export interface CookieAttributes {
  path: string;
  /** Seconds; 0 deletes the cookie. Absent: a browser-session cookie. */
  maxAge?: number;
  sameSite: 'Strict' | 'Lax';
  httpOnly: boolean;
  secure: boolean;
}

const NAME = /^[A-Za-z0-9_.-]+$/;
const VALUE = /^[A-Za-z0-9_.~+/=-]*$/;

/** `name=value` pairs of a Cookie request header; unreadable pairs are skipped, first one wins. */
export function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  if (!header) return cookies;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    const value = part
      .slice(eq + 1)
      .trim()
      .replace(/^"(.*)"$/, '$1');
    if (NAME.test(name) && VALUE.test(value) && !cookies.has(name)) cookies.set(name, value);
  }
  return cookies;
}

/** One Set-Cookie header value. Names and values are restricted to token characters. */
export function serializeCookie(name: string, value: string, attributes: CookieAttributes): string {
  if (!NAME.test(name)) throw new TypeError(`invalid cookie name ${name}`);
  if (!VALUE.test(value)) throw new TypeError(`invalid value for cookie ${name}`);
  const parts = [`${name}=${value}`, `Path=${attributes.path}`, `SameSite=${attributes.sameSite}`];
  if (attributes.maxAge !== undefined)
    parts.push(`Max-Age=${Math.max(0, Math.floor(attributes.maxAge))}`);
  if (attributes.httpOnly) parts.push('HttpOnly');
  if (attributes.secure) parts.push('Secure');
  return parts.join('; ');
}

/** Browsers keep about 4096 bytes per cookie, name and attributes included. */
export const CHUNK_CHARS = 3800;
/** A value split over more cookies than this is refused: it would crowd out every other cookie. */
export const MAX_CHUNKS = 4;

/**
 * Splits a long value (an ID provider's token can pass 4 KB) over `name`, `name.1`, `name.2`…;
 * returns undefined when it would need more than MAX_CHUNKS cookies.
 */
export function chunkValue(name: string, value: string): Map<string, string> | undefined {
  const count = Math.max(1, Math.ceil(value.length / CHUNK_CHARS));
  if (count > MAX_CHUNKS) return undefined;
  const chunks = new Map<string, string>();
  for (let i = 0; i < count; i++) {
    chunks.set(chunkName(name, i), value.slice(i * CHUNK_CHARS, (i + 1) * CHUNK_CHARS));
  }
  return chunks;
}

/** Joins what chunkValue split; undefined when the first chunk is missing. */
export function joinChunks(cookies: Map<string, string>, name: string): string | undefined {
  const first = cookies.get(name);
  if (!first) return undefined;
  let value = first;
  for (let i = 1; i < MAX_CHUNKS; i++) {
    const next = cookies.get(chunkName(name, i));
    if (next === undefined) break;
    value += next;
  }
  return value;
}

/** Every cookie name chunkValue may have used for `name`, for clearing them all. */
export function chunkNames(name: string): string[] {
  return Array.from({ length: MAX_CHUNKS }, (_, i) => chunkName(name, i));
}

function chunkName(name: string, index: number): string {
  return index === 0 ? name : `${name}.${index}`;
}
