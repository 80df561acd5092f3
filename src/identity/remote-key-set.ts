import {
  createLocalJWKSet,
  errors,
  type FlattenedJWSInput,
  type JWSHeaderParameters,
  type JWTVerifyGetKey,
} from 'jose';
import type { Clock } from '../core/clock.js';
import { GatehouseError } from '../core/errors.js';
import { fetchJson, type HttpClient, HttpFailure } from './http.js';

export interface RemoteKeySetOptions {
  http: HttpClient;
  clock: Clock;
  /** Minimum time between two fetches caused by unknown `kid`s, so a flood cannot hammer the issuer. */
  refetchCooldownMs?: number;
  /** Keys older than this are refetched before use, so keys the issuer withdrew stop working. */
  maxAgeMs?: number;
}

type LocalKeySet = ReturnType<typeof createLocalJWKSet>;

/**
 * An issuer's JWKS, fetched on first use, refetched when a token names an unknown `kid`
 * (key rotation) at most once per cooldown, and when the cached copy grows old.
 * Like jose's remote key set, but on our clock, our fetch and our fail-closed errors.
 */
export class RemoteKeySet {
  readonly #url: URL;
  readonly #options: Required<RemoteKeySetOptions>;
  #keys: LocalKeySet | undefined;
  #fetchedAt = Number.NEGATIVE_INFINITY;
  #pending: Promise<void> | undefined;

  constructor(url: URL, options: RemoteKeySetOptions) {
    this.#url = url;
    this.#options = { refetchCooldownMs: 30_000, maxAgeMs: 10 * 60_000, ...options };
  }

  /** Key resolver for `jwtVerify`. */
  readonly getKey: JWTVerifyGetKey = async (header, token) => {
    const now = this.#options.clock.now();
    if (!this.#keys || now - this.#fetchedAt > this.#options.maxAgeMs) await this.#refresh();
    try {
      return await this.#lookup(header, token);
    } catch (err) {
      const coolingDown = now - this.#fetchedAt < this.#options.refetchCooldownMs;
      if (!(err instanceof errors.JWKSNoMatchingKey) || coolingDown) throw err;
      await this.#refresh();
      return this.#lookup(header, token);
    }
  };

  /** Loads the key set now (used to warm up at start); throws `issuer_unavailable`. */
  async load(): Promise<void> {
    if (!this.#keys) await this.#refresh();
  }

  #lookup(header: JWSHeaderParameters, token: FlattenedJWSInput) {
    // #refresh either sets the keys or throws, so they are present here.
    return (this.#keys as LocalKeySet)(header, token);
  }

  #refresh(): Promise<void> {
    this.#pending ??= this.#fetch().finally(() => {
      this.#pending = undefined;
    });
    return this.#pending;
  }

  async #fetch(): Promise<void> {
    let keys: LocalKeySet;
    try {
      keys = createLocalJWKSet((await fetchJson(this.#options.http, this.#url)) as never);
    } catch (err) {
      const detail = err instanceof HttpFailure ? err.message : 'the key set is malformed';
      throw new GatehouseError(
        'issuer_unavailable',
        `signing keys could not be fetched from ${this.#url.origin}`,
        { detail },
        { cause: err },
      );
    }
    this.#keys = keys;
    this.#fetchedAt = this.#options.clock.now();
  }
}
