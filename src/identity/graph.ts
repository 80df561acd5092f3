import type { Logger } from 'pino';
import type { Clock } from '../core/clock.js';
import { GatehouseError } from '../core/errors.js';
import { fetchJson, type HttpClient, HttpFailure, isObject } from './http.js';

export interface GraphOptions {
  /** Microsoft Graph base URL, `https://graph.microsoft.com` unless configured. */
  endpoint: URL;
  clientId: string;
  /** Read at each token request so a rotated secret file is picked up. */
  clientSecret: () => string;
  /** The tenant's token endpoint (from the issuer's discovery document). */
  tokenEndpoint: () => Promise<URL>;
  http: HttpClient;
  clock: Clock;
  logger?: Logger;
}

const GROUPS_CACHE_MS = 60_000;
const GROUPS_CACHE_ENTRIES = 1_000;
const MAX_PAGES = 50;

/**
 * Resolves an Entra groups-overage token's groups with Microsoft Graph `getMemberObjects`
 * (transitive, security groups: what the `groups` claim carries by default), authenticating
 * with the client-credentials grant. Any failure refuses the token with `issuer_unavailable`.
 * https://learn.microsoft.com/en-us/graph/api/directoryobject-getmemberobjects
 */
export class GraphGroupResolver {
  readonly #options: GraphOptions;
  #accessToken: { value: string; expiresAt: number } | undefined;
  readonly #groups = new Map<string, { groups: string[]; expiresAt: number }>();

  constructor(options: GraphOptions) {
    this.#options = options;
  }

  /** Group object ids of a user or service principal, by its object id (`oid`). */
  async groupsOf(objectId: string): Promise<string[]> {
    const now = this.#options.clock.now();
    const cached = this.#groups.get(objectId);
    if (cached && cached.expiresAt > now) return cached.groups;
    try {
      const groups = await this.#memberObjects(objectId);
      if (this.#groups.size >= GROUPS_CACHE_ENTRIES) this.#groups.clear();
      this.#groups.set(objectId, { groups, expiresAt: now + GROUPS_CACHE_MS });
      return groups;
    } catch (err) {
      this.#options.logger?.warn({ err, objectId }, 'Microsoft Graph group lookup failed');
      const detail = err instanceof HttpFailure ? err.message : undefined;
      throw new GatehouseError(
        'issuer_unavailable',
        'the groups of this token (Entra groups overage) could not be read from Microsoft Graph',
        detail ? { detail } : {},
        { cause: err },
      );
    }
  }

  async #memberObjects(objectId: string): Promise<string[]> {
    const { endpoint, http } = this.#options;
    const base = endpoint.href.replace(/\/+$/, '');
    let url = new URL(
      `${base}/v1.0/directoryObjects/${encodeURIComponent(objectId)}/getMemberObjects`,
    );
    let init: RequestInit = { method: 'POST', body: JSON.stringify({ securityEnabledOnly: true }) };
    const groups: string[] = [];
    for (let page = 0; page < MAX_PAGES; page++) {
      const token = await this.#token();
      const body = await fetchJson(http, url, {
        ...init,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      });
      const value = isObject(body) ? body['value'] : undefined;
      if (!Array.isArray(value) || !value.every((id) => typeof id === 'string')) {
        throw new HttpFailure('Microsoft Graph answered getMemberObjects without a value list');
      }
      groups.push(...value);
      const next = isObject(body) ? body['@odata.nextLink'] : undefined;
      if (typeof next !== 'string') return groups;
      // A partial list would silently drop groups (and defeat groups_not rules): follow every
      // page, but only on the configured Graph origin.
      url = new URL(next);
      if (url.origin !== endpoint.origin) {
        throw new HttpFailure('Microsoft Graph nextLink points outside the configured endpoint');
      }
      init = { method: 'GET' };
    }
    throw new HttpFailure('Microsoft Graph returned too many pages of groups');
  }

  async #token(): Promise<string> {
    const now = this.#options.clock.now();
    if (this.#accessToken && this.#accessToken.expiresAt > now) return this.#accessToken.value;
    const tokenEndpoint = await this.#options.tokenEndpoint();
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: this.#options.clientId,
      client_secret: this.#options.clientSecret(),
    });
    const resource = this.#options.endpoint.origin;
    // Entra's v1 token endpoint takes `resource`; v2 takes `scope` and rejects `resource`.
    if (tokenEndpoint.pathname.endsWith('/oauth2/token')) form.set('resource', resource);
    else form.set('scope', `${resource}/.default`);
    const body = await fetchJson(this.#options.http, tokenEndpoint, {
      method: 'POST',
      body: form,
    });
    const value = isObject(body) ? body['access_token'] : undefined;
    if (typeof value !== 'string' || !isObject(body)) {
      throw new HttpFailure('the token endpoint answered without an access_token');
    }
    const lifetimeS = Number(body['expires_in']);
    const lifetimeMs = Number.isFinite(lifetimeS) ? lifetimeS * 1000 : 300_000;
    // Renew a minute early so a token never expires between our check and Graph's.
    this.#accessToken = { value, expiresAt: now + Math.max(0, lifetimeMs - 60_000) };
    return value;
  }
}
