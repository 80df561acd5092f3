import {
  type CryptoKey,
  errors,
  type JWTPayload,
  type JWTVerifyGetKey,
  type JWTVerifyOptions,
  jwtVerify,
} from 'jose';
import { GatehouseError } from '../core/errors.js';

/** Asymmetric JWS algorithms only: a shared-secret (HS*) or unsigned token is never accepted. */
export const ACCEPTED_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
];

export interface JwtExpectations {
  /** Accepted `iss` values. */
  issuer: string[];
  audience: string[];
  clockSkewMs: number;
  now: number;
}

/**
 * Verifies signature, algorithm, `iss`, `aud`, `exp` (required) and `nbf` with a small skew,
 * turning every jose failure into a `token_invalid` with a message a person can act on.
 */
export async function verifyJwt(
  token: string,
  key: JWTVerifyGetKey,
  expect: JwtExpectations,
): Promise<JWTPayload> {
  const options: JWTVerifyOptions = {
    algorithms: ACCEPTED_ALGORITHMS,
    issuer: expect.issuer,
    audience: expect.audience,
    clockTolerance: Math.ceil(expect.clockSkewMs / 1000),
    currentDate: new Date(expect.now),
    requiredClaims: ['exp'],
  };
  try {
    return (await jwtVerify(token, key, options)).payload;
  } catch (err) {
    if (err instanceof errors.JWKSMultipleMatchingKeys) {
      return verifyWithCandidates(token, err, options, expect);
    }
    throw explain(err, expect);
  }
}

/** A token without `kid` against a key set with several keys of its type: try each. */
async function verifyWithCandidates(
  token: string,
  candidates: errors.JWKSMultipleMatchingKeys,
  options: JWTVerifyOptions,
  expect: JwtExpectations,
): Promise<JWTPayload> {
  let lastError: unknown = candidates;
  for await (const key of candidates as unknown as AsyncIterable<CryptoKey>) {
    try {
      return (await jwtVerify(token, key, options)).payload;
    } catch (err) {
      lastError = err;
    }
  }
  throw explain(lastError, expect);
}

function explain(err: unknown, expect: JwtExpectations): GatehouseError {
  if (err instanceof GatehouseError) return err;
  const invalid = (message: string) =>
    new GatehouseError('token_invalid', message, {}, { cause: err });
  if (err instanceof errors.JWTExpired) {
    const exp = typeof err.payload['exp'] === 'number' ? err.payload['exp'] : undefined;
    return invalid(
      exp ? `token expired at ${new Date(exp * 1000).toISOString()}` : 'token expired',
    );
  }
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.reason === 'missing') return invalid(`token has no "${err.claim}" claim`);
    switch (err.claim) {
      case 'iss':
        return invalid(`token issuer ${quote(err.payload['iss'])} is not ${expect.issuer[0]}`);
      case 'aud':
        return invalid(
          `token audience ${quote(err.payload['aud'])} is not ${expect.audience.join(' or ')}`,
        );
      case 'nbf':
        return invalid(`token is not valid yet (nbf ${isoTime(err.payload['nbf'])})`);
      default:
        return invalid(`token claim "${err.claim}" is invalid`);
    }
  }
  if (err instanceof errors.JOSEAlgNotAllowed) {
    return invalid('token signing algorithm is not accepted (asymmetric algorithms only)');
  }
  if (err instanceof errors.JWKSNoMatchingKey) {
    return invalid("token was signed with a key the issuer does not publish (unknown 'kid')");
  }
  if (err instanceof errors.JWSSignatureVerificationFailed) {
    return invalid("token signature does not verify against the issuer's keys");
  }
  return invalid('token is malformed or could not be verified');
}

function quote(value: unknown): string {
  return JSON.stringify(value ?? null).slice(0, 200);
}

function isoTime(seconds: unknown): string {
  return typeof seconds === 'number' ? new Date(seconds * 1000).toISOString() : String(seconds);
}
