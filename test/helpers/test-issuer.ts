/**
 * A token issuer for tests: an ES256 key generated in memory, tokens minted with it, and an
 * Authenticator that verifies them for real (signature, issuer, audience, expiry).
 */
import { createLocalJWKSet, exportJWK, generateKeyPair, jwtVerify, SignJWT } from 'jose';
import { GatehouseError } from '../../src/core/errors.js';
import type { Authenticator, Identity } from '../../src/core/identity.js';

export interface TestTokenClaims {
  sub?: string;
  groups?: string[];
  agent?: boolean;
  name?: string;
  /** jose duration, e.g. `5m`; default `10m`. Use a past time such as `-1m` for expired tokens. */
  expiresIn?: string;
}

export interface TestIssuer {
  readonly issuer: string;
  readonly audience: string;
  readonly authenticator: Authenticator;
  mint(claims?: TestTokenClaims): Promise<string>;
}

export async function createTestIssuer(
  issuer = 'https://issuer.test.gatehouse.invalid',
  audience = 'gatehouse-test',
): Promise<TestIssuer> {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'test', alg: 'ES256' };
  const keys = createLocalJWKSet({ keys: [jwk] });
  const authenticator: Authenticator = {
    async authenticate(token: string): Promise<Identity> {
      try {
        const { payload } = await jwtVerify(token, keys, {
          issuer,
          audience,
          algorithms: ['ES256'],
        });
        const groups = Array.isArray(payload['groups']) ? payload['groups'].map(String) : [];
        return {
          issuer,
          issuerName: 'test',
          subject: String(payload.sub),
          name: typeof payload['name'] === 'string' ? payload['name'] : undefined,
          groups,
          agent: payload['agent'] === true,
          expiresAt: payload.exp,
        };
      } catch (err) {
        throw new GatehouseError(
          'token_invalid',
          'the token could not be verified',
          {},
          { cause: err },
        );
      }
    },
  };
  return {
    issuer,
    audience,
    authenticator,
    mint: (claims = {}) =>
      new SignJWT({
        groups: claims.groups ?? ['dev'],
        agent: claims.agent ?? false,
        name: claims.name,
      })
        .setProtectedHeader({ alg: 'ES256', kid: 'test' })
        .setIssuer(issuer)
        .setAudience(audience)
        .setSubject(claims.sub ?? 'alice')
        .setIssuedAt()
        .setExpirationTime(claims.expiresIn ?? '10m')
        .sign(privateKey),
  };
}
