import { randomUUID } from 'node:crypto';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
  calculateJwkThumbprint,
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
  type JWTVerifyGetKey,
  SignJWT,
} from 'jose';
import type { Logger } from 'pino';
import type { IssuerConfig } from '../config/schema.js';
import { type Clock, systemClock } from '../core/clock.js';
import type { Identity } from '../core/identity.js';
import type { MappedClaims } from './claims/claim-values.js';
import { genericMapper } from './claims/generic.js';
import {
  audiences,
  DEFAULT_CLOCK_SKEW_MS,
  type IssuerVerifier,
  toIdentity,
} from './issuer-verifier.js';
import { verifyJwt } from './verify-jwt.js';

/** A non-network issuer string: dev tokens can never be confused with a real provider's. */
export const DEV_ISSUER = 'urn:gatehouse:dev';
export const DEV_AUDIENCE = 'gatehouse';
export const DEFAULT_DEV_KEY_FILE = '.gatehouse/dev-issuer-key.json';
const ALG = 'ES256';

/** What `mint` puts in a dev token besides the subject. */
export interface DevTokenOptions {
  groups?: string[];
  agent?: boolean;
  name?: string;
  /** Lifetime; one hour unless given. */
  ttlSeconds?: number;
}

export interface DevIssuerOptions {
  clock?: Clock;
  logger?: Logger;
}

/**
 * The demo/dev issuer: an ES256 key kept in `key_file` (created 0600 on first use), tokens minted
 * by `gatehouse token --dev`, verified with the local public key under the same claim checks as
 * any issuer. Only exists when the config has an issuer with `dev: true`.
 */
export class DevIssuer implements IssuerVerifier {
  readonly name: string;
  readonly issuer: string;
  readonly audience: string;
  readonly issuers: readonly string[];
  readonly #config: IssuerConfig;
  readonly #privateKey: CryptoKey;
  readonly #kid: string;
  readonly #keys: JWTVerifyGetKey;
  readonly #clock: Clock;

  private constructor(config: IssuerConfig, privateJwk: JWK, privateKey: CryptoKey, clock: Clock) {
    this.name = config.name;
    this.issuer = config.issuer ?? DEV_ISSUER;
    this.audience = audiences(config)[0] ?? DEV_AUDIENCE;
    this.issuers = [this.issuer];
    this.#config = config;
    this.#privateKey = privateKey;
    this.#kid = String(privateJwk.kid);
    const { kty, crv, x, y, kid } = privateJwk;
    this.#keys = createLocalJWKSet({ keys: [{ kty, crv, x, y, kid, alg: ALG, use: 'sig' }] });
    this.#clock = clock;
  }

  /** Loads the signing key from `key_file`, creating it (and its directory) when missing. */
  static async load(config: IssuerConfig, options: DevIssuerOptions = {}): Promise<DevIssuer> {
    const path = config.key_file ?? DEFAULT_DEV_KEY_FILE;
    const jwk = await readOrCreateKey(path, options.logger);
    const privateKey = (await importJWK(jwk, ALG)) as CryptoKey;
    return new DevIssuer(config, jwk, privateKey, options.clock ?? systemClock);
  }

  /** Signs a token for `subject`; verify it with `authenticate`. */
  async mint(subject: string, options: DevTokenOptions = {}): Promise<string> {
    if (!subject) throw new TypeError('a dev token needs a subject');
    const ttl = options.ttlSeconds ?? 3600;
    if (!Number.isFinite(ttl) || ttl <= 0) throw new TypeError('ttlSeconds must be positive');
    const now = Math.floor(this.#clock.now() / 1000);
    const claims: Record<string, unknown> = { groups: options.groups ?? [] };
    if (options.agent) claims['agent'] = true;
    if (options.name) claims['name'] = options.name;
    return new SignJWT(claims)
      .setProtectedHeader({ alg: ALG, kid: this.#kid, typ: 'JWT' })
      .setIssuer(this.issuer)
      .setAudience(this.audience)
      .setSubject(subject)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + Math.ceil(ttl))
      .setJti(randomUUID())
      .sign(this.#privateKey);
  }

  async authenticate(token: string): Promise<Identity> {
    const claims = await verifyJwt(token, this.#keys, {
      issuer: [this.issuer],
      audience: [this.audience],
      clockSkewMs: this.#config.clock_skew ?? DEFAULT_CLOCK_SKEW_MS,
      now: this.#clock.now(),
    });
    const mapped: MappedClaims = await genericMapper({})(claims);
    mapped.agent = claims['agent'] === true;
    return toIdentity(this.#config, claims, mapped);
  }

  async warmUp(): Promise<void> {}
}

async function readOrCreateKey(path: string, logger?: Logger): Promise<JWK> {
  try {
    const jwk = parseKey(await readFile(path, 'utf8'), path);
    const mode = (await stat(path)).mode & 0o777;
    if (mode & 0o077) {
      logger?.warn({ path, mode: mode.toString(8) }, 'dev issuer key file is readable by others');
    }
    return jwk;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const { privateKey } = await generateKeyPair(ALG, { extractable: true });
  const jwk = await exportJWK(privateKey);
  const { kty, crv, x, y } = jwk;
  jwk.kid = await calculateJwkThumbprint({ kty, crv, x, y } as JWK);
  jwk.alg = ALG;
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  try {
    await writeFile(path, `${JSON.stringify(jwk, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    await chmod(path, 0o600); // the umask may have narrowed the mode; never widened it
  } catch (err) {
    // Another process created it first: use theirs so both sign with the same key.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return readOrCreateKey(path, logger);
    throw err;
  }
  return jwk;
}

function parseKey(text: string, path: string): JWK {
  let jwk: unknown;
  try {
    jwk = JSON.parse(text);
  } catch {
    throw new TypeError(`dev issuer key file ${path} is not JSON; delete it to create a new key`);
  }
  const key = jwk as JWK;
  if (key?.kty !== 'EC' || key.crv !== 'P-256' || !key.d || !key.kid) {
    throw new TypeError(`dev issuer key file ${path} holds no ES256 private key`);
  }
  return key;
}
