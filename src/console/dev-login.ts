import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Authenticator } from '../core/identity.js';
import type { DevIssuer } from '../identity/index.js';
import { assertSameOrigin, setSessionCookie } from './session-cookie.js';
import { sessionMaxAge } from './sign-in.js';

/** How long a dev sign-in lasts. */
const DEV_SESSION_SECONDS = 8 * 3600;

const bodySchema = {
  type: 'object',
  required: ['subject'],
  additionalProperties: false,
  properties: {
    subject: { type: 'string', minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9@._:-]+$' },
    name: { type: 'string', maxLength: 128 },
    groups: {
      type: 'array',
      maxItems: 32,
      items: { type: 'string', minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9@._:/-]+$' },
    },
  },
} as const;

/**
 * The demo's sign-in that needs no setup: pick a subject and groups, get a session backed by a
 * token from the dev issuer (the same token `gatehouse token --dev` mints). Registered only when
 * an issuer with `dev: true` is configured, never otherwise.
 */
export function registerDevLogin(
  app: FastifyInstance,
  deps: { issuer: DevIssuer; authenticator: Authenticator; logger: Logger; now: () => number },
): void {
  app.post<{ Body: { subject: string; name?: string; groups?: string[] } }>(
    '/console/dev-login',
    { schema: { hide: true, body: bodySchema } },
    async (request, reply) => {
      assertSameOrigin(request);
      const { subject, name, groups = [] } = request.body;
      const token = await deps.issuer.mint(subject, {
        groups: [...new Set(groups)],
        name: name?.trim() || undefined,
        ttlSeconds: DEV_SESSION_SECONDS,
      });
      // Through the Authenticator like every other session, so a dev session is no different.
      const identity = await deps.authenticator.authenticate(token);
      setSessionCookie(reply, token, sessionMaxAge(identity, deps.now()));
      deps.logger.info({ subject, groups: identity.groups }, 'console dev sign-in');
      return { subject: identity.subject, groups: identity.groups };
    },
  );
}
