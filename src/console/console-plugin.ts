import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { bearerAuth } from '../api/bearer-auth.js';
import type { ApprovalService } from '../approvals/approval-service.js';
import type { TicketChanges } from '../approvals/ticket-changes.js';
import type { ConnectorConfig, ConsoleConfig, IssuerConfig, SecretRef } from '../config/schema.js';
import { isLoopback } from '../config/schema.js';
import type { Clock } from '../core/clock.js';
import type { Authenticator } from '../core/identity.js';
import { DevIssuer } from '../identity/index.js';
import type { PolicyTester } from '../policy/index.js';
import { registerDevLogin } from './dev-login.js';
import { registerOidcLogin } from './oidc-login.js';
import { registerPolicyRoutes } from './policy-routes.js';
import { consoleSessionToken } from './session-cookie.js';
import { registerSessionRoutes } from './session-routes.js';
import { defaultWebRoot, registerStaticFiles } from './static-files.js';
import { registerTicketStream } from './ticket-stream.js';

export interface ConsoleDeps {
  /** `server.console`: OIDC sign-in; absent means dev sign-in only (if a dev issuer exists). */
  console?: ConsoleConfig;
  /** `identity.issuers`: the console's issuer, and whether a dev issuer is configured. */
  issuers: ReadonlyArray<IssuerConfig>;
  authenticator: Authenticator;
  approvals: ApprovalService;
  changes: TicketChanges;
  /** The live connector configs (after reloads), for the policy tester. */
  connectors: () => ReadonlyArray<ConnectorConfig>;
  /** Classifies and explains commands for the policy tester. */
  policyTester: PolicyTester;
  clock: Clock;
  logger: Logger;
  /** Console base URL; the OIDC redirect URI is built from it. */
  publicUrl: () => string;
  secret: (ref: SecretRef) => string;
  /** Built single-page app; defaults to the package's `dist/web`. */
  webRoot?: string;
  /** Where the API listens, to warn when a dev sign-in is reachable off this machine. */
  listenHost?: string;
}

/**
 * The reviewer console on the API's Fastify instance: the built SPA at `/`, sign-in (OIDC code +
 * PKCE, or the dev issuer in the demo) into a cookie session, the live ticket stream and the
 * policy tester. The REST routes themselves accept the cookie through the API's auth hook.
 */
export async function registerConsole(app: FastifyInstance, deps: ConsoleDeps): Promise<void> {
  const now = () => deps.clock.now();
  const devConfig = deps.issuers.find((issuer) => issuer.dev);
  const oidcIssuer = deps.console
    ? deps.issuers.find((issuer) => issuer.name === deps.console?.issuer)
    : undefined;
  if (deps.console && !oidcIssuer?.issuer) {
    throw new TypeError(
      `server.console.issuer "${deps.console.issuer}" names no issuer with a URL`,
    );
  }

  registerSessionRoutes(app, {
    authenticator: deps.authenticator,
    signIn: { oidc: oidcIssuer?.name, dev: devConfig !== undefined },
  });
  if (deps.console && oidcIssuer?.issuer) {
    registerOidcLogin(app, {
      config: deps.console,
      issuerUrl: oidcIssuer.issuer,
      authenticator: deps.authenticator,
      secret: deps.secret,
      publicUrl: deps.publicUrl,
      logger: deps.logger,
      now,
    });
  }
  if (devConfig) {
    if (deps.listenHost !== undefined && !isLoopback(deps.listenHost)) {
      deps.logger.warn(
        { listen: deps.listenHost },
        'a dev issuer is configured: anyone who reaches the console can sign in as anyone',
      );
    }
    const issuer = await DevIssuer.load(devConfig, { clock: deps.clock, logger: deps.logger });
    registerDevLogin(app, { issuer, authenticator: deps.authenticator, logger: deps.logger, now });
  }

  await app.register(async (api) => {
    api.addHook('onRequest', bearerAuth(deps.authenticator, consoleSessionToken));
    registerTicketStream(api, deps);
    registerPolicyRoutes(api, deps.connectors, deps.policyTester, now);
  });
  await registerStaticFiles(app, deps.webRoot ?? defaultWebRoot());
}
