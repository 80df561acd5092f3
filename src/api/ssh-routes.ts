import type { FastifyInstance } from 'fastify';
import type { Clock } from '../core/clock.js';
import { GatehouseError } from '../core/errors.js';
import type { KeyStore } from '../core/key-store.js';
import {
  issueSshCertificate,
  publicKeyLine,
  sshUserCaPublicKey,
} from '../identity/ssh-certificates.js';
import { identityOf } from './bearer-auth.js';
import { bearerSecurity } from './schemas.js';

/** An SSH listener as `gatehouse login --ssh` needs it (from the config, by the server). */
export interface SshListener {
  name: string;
  host: string;
  port: number;
  logins: string[];
}

export interface SshRoutesDeps {
  keys: KeyStore;
  clock: Clock;
  sshListeners: () => SshListener[];
}

/**
 * `POST /api/ssh/certificate`: a short-lived OpenSSH user certificate for the caller's ed25519
 * public key, speaking for the identity the bearer token proved (docs/ssh.md), with the SSH
 * listeners and their host keys for known_hosts.
 */
export function registerSshRoutes(app: FastifyInstance, deps: SshRoutesDeps): void {
  app.post<{ Body: { public_key: string } }>(
    '/api/ssh/certificate',
    {
      schema: {
        summary: "A short-lived SSH user certificate for the caller's public key",
        security: bearerSecurity,
        body: {
          type: 'object',
          required: ['public_key'],
          additionalProperties: false,
          properties: { public_key: { type: 'string', minLength: 1, maxLength: 4096 } },
        },
      },
    },
    async (request) => {
      const identity = identityOf(request);
      const issued = await issueSshCertificate(
        deps.keys,
        identity,
        request.body.public_key,
        deps.clock.now(),
      );
      const listeners = await Promise.all(
        deps.sshListeners().map(async (listener) => ({
          ...listener,
          host_key: publicKeyLine(
            await deps.keys.getOrCreate(`ssh-host-key:${listener.name}`, () => {
              throw new GatehouseError(
                'not_found',
                `SSH connector ${listener.name} has not started`,
              );
            }),
          ),
        })),
      );
      return {
        certificate: issued.certificate,
        valid_until: new Date(issued.validUntil).toISOString(),
        ca_public_key: await sshUserCaPublicKey(deps.keys),
        connectors: listeners,
      };
    },
  );
}
