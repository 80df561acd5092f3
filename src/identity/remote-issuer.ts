import type { Logger } from 'pino';
import type { IssuerConfig, SecretRef } from '../config/schema.js';
import type { Clock } from '../core/clock.js';
import type { Identity } from '../core/identity.js';
import type { ClaimMapper } from './claims/claim-values.js';
import { entraIssuerAliases, entraMapper, entraTenantOf } from './claims/entra.js';
import { genericMapper } from './claims/generic.js';
import { GITHUB_ACTIONS_ISSUER, githubActionsMapper } from './claims/github-actions.js';
import { discoverIssuer, type IssuerMetadata } from './discovery.js';
import { GraphGroupResolver } from './graph.js';
import { type HttpClient, requireSecureUrl } from './http.js';
import {
  audiences,
  DEFAULT_CLOCK_SKEW_MS,
  type IssuerVerifier,
  toIdentity,
} from './issuer-verifier.js';
import { RemoteKeySet } from './remote-key-set.js';
import { verifyJwt } from './verify-jwt.js';

export interface RemoteIssuerDeps {
  http: HttpClient;
  clock: Clock;
  secret: (ref: SecretRef) => string;
  logger?: Logger;
}

/**
 * An OIDC issuer reached over the network: discovery and JWKS are fetched lazily on the first
 * token (a momentarily absent issuer does not stop the gateway from starting, it fails that
 * token) and the claims are mapped by the issuer's `kind`.
 */
export class RemoteIssuer implements IssuerVerifier {
  readonly name: string;
  readonly issuers: readonly string[];
  readonly #config: IssuerConfig;
  readonly #issuer: string;
  readonly #audience: string[];
  readonly #deps: RemoteIssuerDeps;
  readonly #mapper: ClaimMapper;
  #ready: Promise<{ metadata: IssuerMetadata; keys: RemoteKeySet }> | undefined;

  constructor(config: IssuerConfig, deps: RemoteIssuerDeps) {
    this.name = config.name;
    this.#config = config;
    this.#deps = deps;
    const defaultIssuer = config.kind === 'github-actions' ? GITHUB_ACTIONS_ISSUER : undefined;
    const issuer = config.issuer ?? defaultIssuer;
    if (!issuer) throw new TypeError(`identity issuer "${config.name}" needs an issuer URL`);
    requireSecureUrl(issuer, `identity issuer "${config.name}"`);
    this.#issuer = issuer;
    this.#audience = audiences(config);
    if (this.#audience.length === 0) {
      throw new TypeError(`identity issuer "${config.name}" needs an audience`);
    }
    if (config.kind === 'entra') {
      const tenant = entraTenantOf(config);
      this.issuers = entraIssuerAliases(issuer, tenant);
      this.#mapper = entraMapper(config.name, tenant, this.#graph());
    } else {
      this.issuers = [issuer];
      this.#mapper =
        config.kind === 'github-actions'
          ? githubActionsMapper(config.owners ?? [])
          : genericMapper(config);
    }
  }

  async authenticate(token: string): Promise<Identity> {
    const { keys } = await this.#discovered();
    const claims = await verifyJwt(token, keys.getKey, {
      issuer: [...this.issuers],
      audience: this.#audience,
      clockSkewMs: this.#config.clock_skew ?? DEFAULT_CLOCK_SKEW_MS,
      now: this.#deps.clock.now(),
    });
    return toIdentity(this.#config, claims, await this.#mapper(claims));
  }

  async warmUp(): Promise<void> {
    try {
      const { keys } = await this.#discovered();
      await keys.load();
    } catch (err) {
      this.#deps.logger?.warn({ err, issuer: this.name }, 'identity issuer not reachable yet');
    }
  }

  /** Discovery once; a failure is not remembered, so the next token tries again. */
  #discovered(): Promise<{ metadata: IssuerMetadata; keys: RemoteKeySet }> {
    this.#ready ??= discoverIssuer(this.#issuer, this.#deps.http).then(
      (metadata) => ({
        metadata,
        keys: new RemoteKeySet(metadata.jwksUri, {
          http: this.#deps.http,
          clock: this.#deps.clock,
        }),
      }),
      (err: unknown) => {
        this.#ready = undefined;
        throw err;
      },
    );
    return this.#ready;
  }

  #graph(): GraphGroupResolver | undefined {
    const graph = this.#config.graph;
    if (!graph) return undefined;
    const endpoint = requireSecureUrl(
      graph.endpoint ?? 'https://graph.microsoft.com',
      `identity issuer "${this.name}" graph endpoint`,
    );
    const { secret } = this.#deps;
    secret(graph.client_secret); // a missing secret is a start-up error, not a first-token surprise
    const options: ConstructorParameters<typeof GraphGroupResolver>[0] = {
      endpoint,
      clientId: graph.client_id,
      clientSecret: () => secret(graph.client_secret),
      tokenEndpoint: async () => {
        const { metadata } = await this.#discovered();
        if (!metadata.tokenEndpoint) {
          throw new TypeError(`issuer ${this.#issuer} publishes no token_endpoint for Graph`);
        }
        return metadata.tokenEndpoint;
      },
      http: this.#deps.http,
      clock: this.#deps.clock,
    };
    if (this.#deps.logger) options.logger = this.#deps.logger;
    return new GraphGroupResolver(options);
  }
}
