import { decodeJwt, decodeProtectedHeader } from 'jose';
import type { Logger } from 'pino';
import type { IssuerConfig, SecretRef } from '../config/schema.js';
import { type Clock, systemClock } from '../core/clock.js';
import { GatehouseError } from '../core/errors.js';
import type { Authenticator, Identity } from '../core/identity.js';
import { DevIssuer } from './dev-issuer.js';
import type { IssuerVerifier } from './issuer-verifier.js';
import { RemoteIssuer } from './remote-issuer.js';
import { ACCEPTED_ALGORITHMS } from './verify-jwt.js';

/** Larger than any real token (Entra's overage threshold keeps them well below). */
const MAX_TOKEN_LENGTH = 64 * 1024;

export interface AuthenticatorOptions {
  /** Resolves `{env}`/`{file}` references (Graph client secrets). */
  secret: (ref: SecretRef) => string;
  logger?: Logger;
  clock?: Clock;
  /** HTTP for discovery, JWKS and Graph; the global fetch unless given. */
  fetch?: typeof fetch;
}

/**
 * Routes each token to the configured issuer named by its (unverified) `iss`, which then
 * verifies it fully. Unknown issuers, unsigned or symmetric tokens and garbage are refused
 * before any network request is made.
 */
export class MultiIssuerAuthenticator implements Authenticator {
  readonly #byIssuer = new Map<string, IssuerVerifier>();
  readonly #logger: Logger | undefined;

  constructor(verifiers: IssuerVerifier[], logger?: Logger) {
    this.#logger = logger;
    for (const verifier of verifiers) {
      for (const iss of verifier.issuers) {
        const other = this.#byIssuer.get(iss);
        if (other) {
          throw new TypeError(
            `identity issuers "${other.name}" and "${verifier.name}" both accept tokens from ${iss}; merge them (audience may be a list)`,
          );
        }
        this.#byIssuer.set(iss, verifier);
      }
    }
  }

  /** The dev issuer, when the config has one (the demo mints its tokens with it). */
  get devIssuer(): DevIssuer | undefined {
    for (const verifier of this.#byIssuer.values()) {
      if (verifier instanceof DevIssuer) return verifier;
    }
    return undefined;
  }

  async authenticate(token: string): Promise<Identity> {
    const verifier = this.#route(token);
    try {
      const identity = await verifier.authenticate(token);
      this.#logger?.debug({ issuer: verifier.name, subject: identity.subject }, 'token verified');
      return identity;
    } catch (err) {
      if (!(err instanceof GatehouseError)) {
        this.#logger?.error({ err, issuer: verifier.name }, 'token verification crashed');
        throw new GatehouseError('internal', 'token could not be verified', {}, { cause: err });
      }
      this.#logger?.info(
        { issuer: verifier.name, code: err.code, reason: err.message },
        'token refused',
      );
      throw err;
    }
  }

  /** Fetches every issuer's discovery document and keys now; failures are only logged. */
  async warmUp(): Promise<void> {
    await Promise.all([...new Set(this.#byIssuer.values())].map((v) => v.warmUp()));
  }

  #route(token: string): IssuerVerifier {
    if (typeof token !== 'string' || token.trim() === '') {
      throw new GatehouseError('token_missing', 'no token was presented');
    }
    if (token.length > MAX_TOKEN_LENGTH) {
      throw new GatehouseError('token_invalid', 'token is too large');
    }
    let alg: unknown;
    let iss: unknown;
    try {
      alg = decodeProtectedHeader(token).alg;
      iss = decodeJwt(token).iss;
    } catch {
      throw new GatehouseError('token_invalid', 'token is not a JWT');
    }
    if (typeof alg !== 'string' || !ACCEPTED_ALGORITHMS.includes(alg)) {
      throw new GatehouseError(
        'token_invalid',
        `token signing algorithm ${JSON.stringify(alg ?? null).slice(0, 40)} is not accepted (asymmetric algorithms only)`,
      );
    }
    if (typeof iss !== 'string') throw new GatehouseError('token_invalid', 'token has no issuer');
    const verifier = this.#byIssuer.get(iss);
    if (!verifier) {
      throw new GatehouseError(
        'token_invalid',
        `token issuer ${JSON.stringify(iss).slice(0, 200)} is not a configured issuer`,
      );
    }
    return verifier;
  }
}

/**
 * Builds the authenticator for `identity.issuers`. Config mistakes (plain-http issuer off
 * loopback, Entra issuer without a tenant, two issuers claiming one `iss`) throw TypeError
 * here, at start; issuers themselves are contacted only when the first token arrives.
 */
export async function createAuthenticator(
  issuers: IssuerConfig[],
  options: AuthenticatorOptions,
): Promise<MultiIssuerAuthenticator> {
  const clock = options.clock ?? systemClock;
  const http = { fetch: options.fetch ?? globalThis.fetch };
  const verifiers: IssuerVerifier[] = [];
  for (const config of issuers) {
    if (config.dev) {
      const devOptions: { clock: Clock; logger?: Logger } = { clock };
      if (options.logger) devOptions.logger = options.logger;
      verifiers.push(await DevIssuer.load(config, devOptions));
      continue;
    }
    const deps: ConstructorParameters<typeof RemoteIssuer>[1] = {
      http,
      clock,
      secret: options.secret,
    };
    if (options.logger) deps.logger = options.logger;
    verifiers.push(new RemoteIssuer(config, deps));
  }
  return new MultiIssuerAuthenticator(verifiers, options.logger);
}
