import type { FastifyReply, FastifyRequest } from 'fastify';
import { GatehouseError } from '../core/errors.js';
import type { Authenticator, Identity } from '../core/identity.js';

declare module 'fastify' {
  interface FastifyRequest {
    identity?: Identity;
  }
}

/** Bearer tokens from the same issuers the connectors accept. */
export function bearerAuth(authenticator: Authenticator) {
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const header = request.headers.authorization;
    const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if (!match) throw new GatehouseError('token_missing', 'send Authorization: Bearer <token>');
    request.identity = await authenticator.authenticate(match[1]!);
  };
}

export function identityOf(request: FastifyRequest): Identity {
  if (!request.identity) throw new GatehouseError('token_missing', 'not authenticated');
  return request.identity;
}
