import type { FastifyReply, FastifyRequest } from 'fastify';
import { GatehouseError } from '../core/errors.js';
import type { Authenticator, Identity } from '../core/identity.js';

declare module 'fastify' {
  interface FastifyRequest {
    identity?: Identity;
  }
}

/**
 * Bearer tokens from the same issuers the connectors accept. `sessionToken` (the console's
 * cookie session, CSRF-checked there) is asked only when no Authorization header is sent.
 */
export function bearerAuth(
  authenticator: Authenticator,
  sessionToken?: (request: FastifyRequest) => string | undefined,
) {
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const header = request.headers.authorization;
    const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    const token = match ? match[1] : header ? undefined : sessionToken?.(request);
    if (!token) throw new GatehouseError('token_missing', 'send Authorization: Bearer <token>');
    request.identity = await authenticator.authenticate(token);
  };
}

export function identityOf(request: FastifyRequest): Identity {
  if (!request.identity) throw new GatehouseError('token_missing', 'not authenticated');
  return request.identity;
}
