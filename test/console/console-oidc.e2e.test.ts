import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';
import { pino } from 'pino';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parseConfig } from '../../src/connectors/registry.js';
import { type RunningGateway, startGateway } from '../../src/server/gateway.js';
import { collectConsoleErrors, launchChromium, screenshot } from './browser.js';
import { ensureWebBuild } from './web-build.js';

/**
 * Sign-in with OIDC authorization code + PKCE against a real OpenID provider (panva's
 * oidc-provider on 127.0.0.1, its development login pages), driven in Chromium: the console
 * redirects with an S256 challenge, the provider sends the browser back with a code, the
 * gateway redeems it and verifies the access token with the same Authenticator as bearer tokens.
 * No dev issuer is configured here, so the dev sign-in must not exist.
 */
describe('console OIDC sign-in (Chromium + oidc-provider)', { timeout: 60_000 }, () => {
  let server: Server;
  let issuer: string;
  let gateway: RunningGateway;
  let base: string;
  let browser: Browser;

  beforeAll(async () => {
    await ensureWebBuild();
    server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    // The gateway first, on an ephemeral port: the client's redirect URI must name it.
    const config = parseConfig(
      stringify({
        server: {
          api: { listen: '127.0.0.1:0' },
          console: {
            issuer: 'corp',
            client_id: 'gatehouse-console',
            scopes: ['openid', 'profile', 'gatehouse'],
          },
        },
        store: { url: 'sqlite::memory:' },
        identity: {
          issuers: [{ name: 'corp', kind: 'generic', issuer, audience: 'api://gatehouse' }],
        },
      }),
      'oidc-console.yaml',
    );
    gateway = await startGateway(config, { logger: pino({ level: 'silent' }), drainMs: 500 });
    base = gateway.apiUrl;

    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const provider = new Provider(issuer, {
      clients: [
        {
          client_id: 'gatehouse-console',
          token_endpoint_auth_method: 'none',
          grant_types: ['authorization_code'],
          response_types: ['code'],
          redirect_uris: [`${base}/console/callback`],
          id_token_signed_response_alg: 'ES256',
        },
      ],
      jwks: { keys: [{ ...(await exportJWK(privateKey)), kid: 'op', alg: 'ES256', use: 'sig' }] },
      pkce: { required: () => true },
      findAccount: (_ctx: unknown, sub: string) => ({
        accountId: sub,
        claims: () => ({ sub, name: `${sub} from corp` }),
      }),
      features: {
        devInteractions: { enabled: true },
        resourceIndicators: {
          enabled: true,
          defaultResource: () => 'api://gatehouse',
          useGrantedResource: () => true,
          getResourceServerInfo: () => ({
            scope: 'gatehouse',
            audience: 'api://gatehouse',
            accessTokenFormat: 'jwt',
            accessTokenTTL: 600,
            jwt: { sign: { alg: 'ES256' } },
          }),
        },
      },
      extraTokenClaims: () => ({ groups: ['dba'] }),
    });
    server.on('request', provider.callback());
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await gateway?.close();
    server?.closeAllConnections();
    server?.close();
  });

  it('has no dev sign-in when no dev issuer is configured', async () => {
    const session = await (await fetch(`${base}/console/session`)).json();
    expect(session).toEqual({ signedIn: false, signIn: { oidc: 'corp', dev: false } });
    const devLogin = await fetch(`${base}/console/dev-login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: base },
      body: JSON.stringify({ subject: 'mallory', groups: ['dba'] }),
    });
    expect(devLogin.status).toBe(404);
    expect(devLogin.headers.getSetCookie()).toEqual([]);
  });

  it('signs in with authorization code + PKCE and returns to the page it started from as the provider’s user', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const errors = collectConsoleErrors(page, base);
    const authorizeRequests: URL[] = [];
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (url.origin === issuer && url.pathname === '/auth') authorizeRequests.push(url);
    });

    await page.goto(`${base}/#/policy`);
    await page.getByRole('link', { name: 'Sign in with corp' }).click();
    await page.locator('input[name=login]').fill('rita');
    await page.locator('input[name=password]').fill('any');
    await page.getByRole('button', { name: 'Sign-in' }).click();
    await page.getByRole('button', { name: 'Continue' }).click();
    // Back at the page sign-in started from, signed in.
    await page.getByRole('heading', { name: 'Policy tester' }).waitFor();
    expect(page.url()).toBe(`${base}/#/policy`);
    expect(await page.locator('.me-name').textContent()).toBe('rita');
    expect(await page.locator('.me-groups').textContent()).toBe('dba');

    const [authorize] = authorizeRequests;
    expect(authorize?.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize?.searchParams.get('code_challenge')).toMatch(/^[\w-]{43}$/);
    expect(authorize?.searchParams.get('redirect_uri')).toBe(`${base}/console/callback`);
    expect(authorize?.searchParams.get('state')).toBeTruthy();
    expect(authorize?.searchParams.get('nonce')).toBeTruthy();

    // The cookie session is the provider's access token, accepted by the REST API.
    const status = await page.evaluate(`fetch('/api/approvals').then((r) => r.status)`);
    expect(status).toBe(200);
    const cookies = await context.cookies(base);
    const session = cookies.find((c) => c.name === 'gatehouse_session');
    expect(session).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Strict' });
    expect(cookies.find((c) => c.name === 'gatehouse_oidc')).toBeUndefined();
    await screenshot(page, 'oidc-signed-in');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('refuses a callback that does not belong to a sign-in this browser started', async () => {
    const response = await fetch(`${base}/console/callback?code=stolen&state=guess`, {
      redirect: 'manual',
    });
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toMatch(/^\/#\/signin\?error=/);
    expect(
      response.headers
        .getSetCookie()
        .some((c) => c.startsWith('gatehouse_session=') && !c.startsWith('gatehouse_session=;')),
    ).toBe(false);

    // A flow cookie whose state does not match the callback's: refused by openid-client.
    const start = await fetch(`${base}/console/login`, { redirect: 'manual' });
    const flow = start.headers.getSetCookie().find((c) => c.startsWith('gatehouse_oidc='))!;
    const forged = await fetch(`${base}/console/callback?code=stolen&state=guess`, {
      redirect: 'manual',
      headers: { cookie: flow.split(';')[0]! },
    });
    expect(forged.status).toBe(302);
    expect(decodeURIComponent(forged.headers.get('location')!)).toMatch(/signin\?error=/);
    expect(forged.headers.getSetCookie().some((c) => /^gatehouse_session=[^;]/.test(c))).toBe(
      false,
    );
  });

  it('sends sign-in only back to this origin', async () => {
    const start = await fetch(
      `${base}/console/login?return=${encodeURIComponent('//evil.example/x')}`,
      {
        redirect: 'manual',
      },
    );
    const flow = start.headers.getSetCookie().find((c) => c.startsWith('gatehouse_oidc='))!;
    const value = JSON.parse(
      Buffer.from(flow.split(';')[0]!.split('=')[1]!, 'base64url').toString(),
    );
    expect(value.returnTo).toBe('/');
    expect(flow).toMatch(/Path=\/console\/callback/);
    expect(flow).toMatch(/HttpOnly/);
    expect(new URL(start.headers.get('location')!).origin).toBe(issuer);
  });
});

describe('console OIDC sign-in with the provider down', () => {
  it('sends the browser back to the sign-in page with the reason instead of failing obscurely', async () => {
    // A port that was just free: nothing answers discovery there.
    const probe = createServer();
    probe.listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const deadIssuer = `http://127.0.0.1:${(probe.address() as AddressInfo).port}`;
    probe.close();
    await once(probe, 'close');
    const config = parseConfig(
      stringify({
        server: { api: { listen: '127.0.0.1:0' }, console: { issuer: 'corp', client_id: 'c' } },
        store: { url: 'sqlite::memory:' },
        identity: { issuers: [{ name: 'corp', issuer: deadIssuer, audience: 'api://gatehouse' }] },
      }),
      'dead-issuer.yaml',
    );
    const gateway = await startGateway(config, { logger: pino({ level: 'silent' }), drainMs: 200 });
    try {
      const response = await fetch(`${gateway.apiUrl}/console/login`, { redirect: 'manual' });
      expect(response.status).toBe(302);
      expect(decodeURIComponent(response.headers.get('location')!)).toBe(
        '/#/signin?error=the identity provider could not be reached; try again shortly',
      );
    } finally {
      await gateway.close();
    }
  });
});
