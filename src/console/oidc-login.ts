import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import * as oidc from 'openid-client';
import type { Logger } from 'pino';
import type { ConsoleConfig, SecretRef } from '../config/schema.js';
import { isLoopback } from '../config/schema.js';
import { GatehouseError } from '../core/errors.js';
import type { Authenticator } from '../core/identity.js';
import { parseCookies, serializeCookie } from './cookies.js';
import { appendSetCookie, setSessionCookie } from './session-cookie.js';
import { safeReturnPath, sessionMaxAge, signInFailed } from './sign-in.js';

export interface OidcLoginDeps {
  config: ConsoleConfig;
  /** The issuer URL of the identity issuer `config.issuer` names. */
  issuerUrl: string;
  authenticator: Authenticator;
  secret: (ref: SecretRef) => string;
  publicUrl: () => string;
  logger: Logger;
  /** Clock for session lifetimes (ms). */
  now: () => number;
}

const FLOW_COOKIE = 'gatehouse_oidc';
const FLOW_SECONDS = 600;

interface Flow {
  verifier: string;
  state: string;
  nonce: string;
  returnTo: string;
}

/**
 * Sign-in with OIDC authorization code + PKCE (RFC 7636) through `openid-client`:
 * `/console/login` starts it, the redirect path finishes it. The PKCE verifier, state and nonce
 * travel in a short-lived http-only cookie scoped to the redirect path, so any replica can finish
 * a flow another one started. The token the exchange yields is then verified by the same
 * Authenticator as bearer tokens before it becomes the session.
 */
export function registerOidcLogin(app: FastifyInstance, deps: OidcLoginDeps): void {
  const { config } = deps;
  let discovered: Promise<oidc.Configuration> | undefined;
  const configuration = () => {
    discovered ??= discover(deps).catch((err: unknown) => {
      discovered = undefined; // try again on the next sign-in
      throw err;
    });
    return discovered;
  };
  const redirectUri = () => `${deps.publicUrl().replace(/\/$/, '')}${config.redirect_path}`;

  app.get<{ Querystring: { return?: string } }>(
    '/console/login',
    { schema: { hide: true } },
    async (request, reply) => {
      let server: oidc.Configuration;
      try {
        server = await configuration();
      } catch (err) {
        deps.logger.warn({ err }, 'console sign-in: identity provider discovery failed');
        return signInFailed(reply, 'the identity provider could not be reached; try again shortly');
      }
      const flow: Flow = {
        verifier: oidc.randomPKCECodeVerifier(),
        state: oidc.randomState(),
        nonce: oidc.randomNonce(),
        returnTo: safeReturnPath(request.query.return),
      };
      const url = oidc.buildAuthorizationUrl(server, {
        redirect_uri: redirectUri(),
        scope: config.scopes.join(' '),
        code_challenge: await oidc.calculatePKCECodeChallenge(flow.verifier),
        code_challenge_method: 'S256',
        state: flow.state,
        nonce: flow.nonce,
      });
      setFlowCookie(reply, config.redirect_path, flow, FLOW_SECONDS);
      return reply.redirect(url.href, 302);
    },
  );

  app.get(config.redirect_path, { schema: { hide: true } }, async (request, reply) => {
    const flow = readFlow(request);
    setFlowCookie(reply, config.redirect_path, undefined, 0);
    if (!flow)
      return signInFailed(reply, 'the sign-in expired or was started elsewhere; try again');
    try {
      const server = await configuration();
      const current = new URL(request.url, `${deps.publicUrl().replace(/\/$/, '')}/`);
      const tokens = await oidc.authorizationCodeGrant(server, current, {
        pkceCodeVerifier: flow.verifier,
        expectedState: flow.state,
        expectedNonce: flow.nonce,
        idTokenExpected: true,
      });
      const token = config.token === 'id_token' ? tokens.id_token : tokens.access_token;
      if (!token)
        throw new GatehouseError('token_missing', `the provider returned no ${config.token}`);
      const identity = await deps.authenticator.authenticate(token);
      setSessionCookie(reply, token, sessionMaxAge(identity, deps.now()));
      deps.logger.info(
        { subject: identity.subject, issuer: identity.issuerName },
        'console sign-in',
      );
      return reply.redirect(flow.returnTo, 302);
    } catch (err) {
      deps.logger.warn({ err }, 'console sign-in failed');
      return signInFailed(reply, describeFailure(err));
    }
  });
}

async function discover(deps: OidcLoginDeps): Promise<oidc.Configuration> {
  const url = new URL(deps.issuerUrl);
  const secret = deps.config.client_secret ? deps.secret(deps.config.client_secret) : undefined;
  const plainLoopback =
    url.protocol === 'http:' && isLoopback(url.hostname.replace(/^\[|\]$/g, ''));
  return oidc.discovery(
    url,
    deps.config.client_id,
    secret,
    secret === undefined ? oidc.None() : oidc.ClientSecretPost(secret),
    { execute: plainLoopback ? [oidc.allowInsecureRequests] : [], timeout: 10 },
  );
}

function describeFailure(err: unknown): string {
  if (err instanceof GatehouseError) return err.message;
  if (err instanceof oidc.AuthorizationResponseError) {
    return `the identity provider refused: ${err.error_description ?? err.error}`;
  }
  return 'the identity provider answer could not be verified';
}

function setFlowCookie(reply: FastifyReply, path: string, flow: Flow | undefined, maxAge: number) {
  const value = flow ? Buffer.from(JSON.stringify(flow)).toString('base64url') : '';
  appendSetCookie(reply, [
    // Lax: the provider sends the browser back with a cross-site top-level GET.
    serializeCookie(FLOW_COOKIE, value, {
      path,
      sameSite: 'Lax',
      httpOnly: true,
      secure: true,
      maxAge,
    }),
  ]);
}

function readFlow(request: FastifyRequest): Flow | undefined {
  const raw = parseCookies(request.headers.cookie).get(FLOW_COOKIE);
  if (!raw) return undefined;
  try {
    const flow = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as Partial<Flow>;
    const ok = [flow.verifier, flow.state, flow.nonce, flow.returnTo].every(
      (v) => typeof v === 'string' && v.length > 0,
    );
    return ok ? (flow as Flow) : undefined;
  } catch {
    return undefined;
  }
}
