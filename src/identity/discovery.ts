import { setTimeout as sleep } from 'node:timers/promises';
import { GatehouseError } from '../core/errors.js';
import { fetchJson, type HttpClient, HttpFailure, isObject, isSecureUrl } from './http.js';

/** The slice of OpenID Provider Metadata Gatehouse uses. */
export interface IssuerMetadata {
  issuer: string;
  jwksUri: URL;
  /** Used for the Graph client-credentials grant of Entra issuers. */
  tokenEndpoint?: URL;
}

/** Pauses between discovery attempts within one call; the next token tries again from scratch. */
const RETRY_DELAYS_MS = [100, 400];

/**
 * OpenID Connect Discovery 1.0 §4: fetches `{issuer}/.well-known/openid-configuration` and checks
 * that the document names exactly the configured issuer. Retries briefly, then fails closed with
 * `issuer_unavailable`. https://openid.net/specs/openid-connect-discovery-1_0.html#ProviderConfig
 */
export async function discoverIssuer(issuer: string, http: HttpClient): Promise<IssuerMetadata> {
  const url = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  let lastError: unknown;
  for (let attempt = 0; attempt <= RETRY_DELAYS_MS.length; attempt++) {
    if (attempt > 0) await sleep(RETRY_DELAYS_MS[attempt - 1]);
    try {
      return parseMetadata(issuer, await fetchJson(http, url));
    } catch (err) {
      lastError = err;
      // A well-formed answer that is wrong will not improve by asking again.
      if (err instanceof GatehouseError) throw err;
    }
  }
  const reason = lastError instanceof HttpFailure ? lastError.message : 'request failed';
  throw new GatehouseError(
    'issuer_unavailable',
    `identity provider ${issuer} could not be reached for discovery`,
    { detail: reason },
    { cause: lastError },
  );
}

function parseMetadata(issuer: string, document: unknown): IssuerMetadata {
  const invalid = (why: string) =>
    new GatehouseError(
      'issuer_unavailable',
      `identity provider ${issuer} is misconfigured: ${why}`,
    );
  if (!isObject(document)) throw invalid('discovery document is not a JSON object');
  if (document['issuer'] !== issuer) {
    throw invalid(`discovery document names issuer "${String(document['issuer'])}"`);
  }
  const jwksUri = secureUrl(document['jwks_uri']);
  if (!jwksUri) throw invalid('jwks_uri is missing or not https');
  const metadata: IssuerMetadata = { issuer, jwksUri };
  const tokenEndpoint = secureUrl(document['token_endpoint']);
  if (tokenEndpoint) metadata.tokenEndpoint = tokenEndpoint;
  return metadata;
}

function secureUrl(value: unknown): URL | undefined {
  if (typeof value !== 'string' || !URL.canParse(value)) return undefined;
  const url = new URL(value);
  return isSecureUrl(url) ? url : undefined;
}
