/**
 * `gatehouse login`'s OpenID Connect: the device authorization grant (RFC 8628) and refresh,
 * through `openid-client` against the issuer's discovery document. Tokens land in the token
 * cache (token-cache.ts). Prompts go to stderr: stdout may be a credential plugin's JSON.
 */
import * as oidc from 'openid-client';
import { isLoopback } from '../config/schema.js';
import { type CachedToken, writeCachedToken } from './token-cache.js';

export interface LoginTarget {
  issuer: string;
  clientId: string;
  scopes: string[];
  kind: 'access_token' | 'id_token';
}

async function discover(target: LoginTarget): Promise<oidc.Configuration> {
  const url = new URL(target.issuer);
  const plainLoopback =
    url.protocol === 'http:' && isLoopback(url.hostname.replace(/^\[|\]$/g, ''));
  if (url.protocol !== 'https:' && !plainLoopback) {
    throw new Error(`issuer ${target.issuer} must be https (plain http only on loopback)`);
  }
  return oidc.discovery(url, target.clientId, undefined, oidc.None(), {
    execute: plainLoopback ? [oidc.allowInsecureRequests] : [],
    timeout: 15,
  });
}

function toCached(
  target: LoginTarget,
  tokens: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers,
  previousRefresh?: string,
): CachedToken {
  const token = target.kind === 'id_token' ? tokens.id_token : tokens.access_token;
  if (!token) throw new Error(`the identity provider returned no ${target.kind}`);
  let expiresAt: number;
  if (target.kind === 'id_token') {
    const claims = tokens.claims();
    if (!claims) throw new Error('the identity provider returned no ID token claims');
    expiresAt = claims.exp;
  } else {
    const expiresIn = tokens.expiresIn();
    if (expiresIn === undefined)
      throw new Error('the identity provider did not say when the token expires');
    expiresAt = Math.floor(Date.now() / 1000) + expiresIn;
  }
  const refreshToken = tokens.refresh_token ?? previousRefresh;
  return {
    issuer: target.issuer,
    clientId: target.clientId,
    token,
    expiresAt,
    kind: target.kind,
    ...(refreshToken !== undefined && { refreshToken }),
    ...(tokens.scope !== undefined && { scope: tokens.scope }),
  };
}

/** Runs the device flow: tells the user where to go (`prompt`), waits, caches the tokens. */
export async function deviceLogin(
  target: LoginTarget,
  prompt: (text: string) => void,
  env: NodeJS.ProcessEnv = process.env,
): Promise<CachedToken> {
  const server = await discover(target);
  const start = await oidc.initiateDeviceAuthorization(server, { scope: target.scopes.join(' ') });
  prompt(
    start.verification_uri_complete
      ? `To sign in, open ${start.verification_uri_complete}\n(code ${start.user_code})\n`
      : `To sign in, open ${start.verification_uri} and enter the code ${start.user_code}\n`,
  );
  const tokens = await oidc.pollDeviceAuthorizationGrant(server, start);
  const entry = toCached(target, tokens);
  await writeCachedToken(entry, { env });
  return entry;
}

/** Trades the cached refresh token for fresh tokens and caches them. */
export async function refreshLogin(
  target: LoginTarget,
  cached: CachedToken,
  env: NodeJS.ProcessEnv = process.env,
): Promise<CachedToken> {
  if (!cached.refreshToken) throw new Error('no refresh token cached');
  const server = await discover(target);
  const tokens = await oidc.refreshTokenGrant(server, cached.refreshToken);
  const entry = toCached(target, tokens, cached.refreshToken);
  await writeCachedToken(entry, { env });
  return entry;
}
