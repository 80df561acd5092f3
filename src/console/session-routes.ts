import type { FastifyInstance } from 'fastify';
import { GatehouseError } from '../core/errors.js';
import type { Authenticator } from '../core/identity.js';
import { clearSessionCookie, consoleSessionToken, csrfTokenFor } from './session-cookie.js';

/** How the console's sign-in page may sign someone in. */
export interface SignInOptions {
  /** The OIDC issuer's configured name, when `server.console` is set. */
  oidc?: string;
  /** True when a dev issuer is configured (the no-setup demo sign-in). */
  dev: boolean;
}

/**
 * `GET /console/session`: who is signed in, the CSRF token for their writes, and the ways to
 * sign in. `POST /console/logout` ends the session (a write, so CSRF-checked like any other).
 */
export function registerSessionRoutes(
  app: FastifyInstance,
  deps: { authenticator: Authenticator; signIn: SignInOptions },
): void {
  app.get('/console/session', { schema: { hide: true } }, async (request, reply) => {
    reply.header('cache-control', 'no-store');
    const token = consoleSessionToken(request);
    if (token) {
      try {
        const identity = await deps.authenticator.authenticate(token);
        return {
          signedIn: true,
          signIn: deps.signIn,
          identity: {
            subject: identity.subject,
            name: identity.name,
            groups: identity.groups,
            agent: identity.agent,
            issuer: identity.issuerName,
          },
          expiresAt:
            identity.expiresAt === undefined
              ? undefined
              : new Date(identity.expiresAt * 1000).toISOString(),
          csrf: csrfTokenFor(token),
        };
      } catch (err) {
        if (!(err instanceof GatehouseError)) throw err;
        // Expired or no longer valid: forget it so the page offers sign-in again.
        if (err.code !== 'issuer_unavailable') clearSessionCookie(reply);
        return { signedIn: false, signIn: deps.signIn, error: err.message };
      }
    }
    return { signedIn: false, signIn: deps.signIn };
  });

  app.post('/console/logout', { schema: { hide: true } }, async (request, reply) => {
    consoleSessionToken(request); // refuses a cross-site sign-out
    clearSessionCookie(reply);
    return reply.code(204).send();
  });
}
