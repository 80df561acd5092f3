import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { GatehouseError } from '../core/errors.js';
import { chunkNames, chunkValue, joinChunks, parseCookies, serializeCookie } from './cookies.js';

/**
 * The console's session is the reviewer's own token in an http-only cookie: every request
 * re-verifies it with the same Authenticator as a bearer token, so a cookie session is exactly
 * as good as the token (same issuer, claims, groups and expiry) and any replica can verify it
 * without shared session state.
 */
export const SESSION_COOKIE = 'gatehouse_session';
/** Header a cookie-authenticated state-changing request must carry (see csrfTokenFor). */
export const CSRF_HEADER = 'x-gatehouse-csrf';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The session token from the cookie, for the API's auth hook; undefined without a cookie.
 * State-changing requests must be same-origin and carry the CSRF header, else they are refused:
 * a cookie is sent by the browser on its own, the header only by our page.
 */
export function consoleSessionToken(request: FastifyRequest): string | undefined {
  const token = joinChunks(parseCookies(request.headers.cookie), SESSION_COOKIE);
  if (!token) return undefined;
  if (!SAFE_METHODS.has(request.method)) checkSameOrigin(request, token);
  return token;
}

/**
 * The anti-CSRF token for a session: a MAC of a fixed label under the session token. Only code
 * that can read our same-origin responses learns it (GET /console/session hands it out), it
 * needs no server-side state, and it changes with every sign-in.
 */
export function csrfTokenFor(sessionToken: string): string {
  return createHmac('sha256', sessionToken).update('gatehouse console csrf v1').digest('base64url');
}

function checkSameOrigin(request: FastifyRequest, token: string): void {
  assertSameOrigin(request);
  const sent = request.headers[CSRF_HEADER];
  const expected = Buffer.from(csrfTokenFor(token));
  const actual = Buffer.from(typeof sent === 'string' ? sent : '');
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) {
    throw crossSite(`missing or wrong ${CSRF_HEADER} header`);
  }
}

/**
 * Refuses a request a browser says came from another site (Fetch Metadata, then Origin). Used
 * on every cookie-authenticated write and on sign-in itself (no login CSRF).
 */
export function assertSameOrigin(request: FastifyRequest): void {
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin') throw crossSite(`Sec-Fetch-Site is ${site}`);
  const origin = request.headers.origin;
  if (origin !== undefined && originHost(origin) !== request.headers.host) {
    throw crossSite(`origin ${origin} is not this console`);
  }
}

function crossSite(why: string): GatehouseError {
  return new GatehouseError('access_denied', `cross-site request refused: ${why}`, {
    hint: 'reload the console and try again',
  });
}

function originHost(origin: string): string | undefined {
  return URL.canParse(origin) ? new URL(origin).host : undefined;
}

/**
 * Sets the session cookie (split when long). `Secure` always: browsers accept it on https and on
 * loopback http, so the token never travels in clear to anything else. Throws when the token
 * is too large for cookies.
 */
export function setSessionCookie(reply: FastifyReply, token: string, maxAgeSeconds: number): void {
  const chunks = chunkValue(SESSION_COOKIE, token);
  if (!chunks) {
    throw new GatehouseError(
      'invalid_request',
      'the sign-in token is too large to keep in cookies',
      {
        hint: 'ask the identity provider for fewer claims (e.g. groups as ids, not names)',
      },
    );
  }
  const cookies = chunkNames(SESSION_COOKIE).map((name) => {
    const value = chunks.get(name);
    return serializeCookie(name, value ?? '', {
      path: '/',
      sameSite: 'Strict',
      httpOnly: true,
      secure: true,
      maxAge: value === undefined ? 0 : maxAgeSeconds,
    });
  });
  appendSetCookie(reply, cookies);
}

/** Removes every session cookie chunk. */
export function clearSessionCookie(reply: FastifyReply): void {
  appendSetCookie(
    reply,
    chunkNames(SESSION_COOKIE).map((name) =>
      serializeCookie(name, '', {
        path: '/',
        sameSite: 'Strict',
        httpOnly: true,
        secure: true,
        maxAge: 0,
      }),
    ),
  );
}

/** Adds Set-Cookie headers without dropping ones set earlier in the same reply. */
export function appendSetCookie(reply: FastifyReply, cookies: string[]): void {
  const existing = reply.getHeader('set-cookie');
  const before =
    existing === undefined ? [] : Array.isArray(existing) ? existing : [String(existing)];
  reply.header('set-cookie', [...before, ...cookies]);
}
