import type { FastifyReply } from 'fastify';
import type { Identity } from '../core/identity.js';

/** A session never outlives the token that proved it, nor this. */
const MAX_SESSION_SECONDS = 12 * 3600;
/** When a token states no expiry (unusual), the session lasts this long. */
const DEFAULT_SESSION_SECONDS = 3600;

/** Cookie lifetime for a session proven by `identity`'s token, in seconds. */
export function sessionMaxAge(identity: Identity, nowMs: number): number {
  if (identity.expiresAt === undefined) return DEFAULT_SESSION_SECONDS;
  const left = Math.floor(identity.expiresAt - nowMs / 1000);
  return Math.max(0, Math.min(left, MAX_SESSION_SECONDS));
}

/**
 * Where to send the browser after sign-in: a path on this origin only (`/…`, never `//host` or
 * `/\host`, which browsers read as another origin), so the sign-in cannot be an open redirect.
 */
export function safeReturnPath(value: unknown): string {
  if (typeof value !== 'string' || value.length > 512) return '/';
  if (!value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return '/';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (/[\u0000-\u001f\u007f]/.test(value)) return '/';
  return value;
}

/** Back to the console's sign-in page with the reason shown there. */
export function signInFailed(reply: FastifyReply, message: string): FastifyReply {
  return reply.redirect(`/#/signin?error=${encodeURIComponent(message)}`, 302);
}
