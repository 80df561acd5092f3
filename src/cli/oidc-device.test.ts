import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { currentToken } from './commands/login.js';
import { deviceLogin, type LoginTarget, refreshLogin } from './oidc-device.js';
import { readCachedToken, writeCachedToken } from './token-cache.js';

/**
 * A scripted authorization server speaking RFC 8628 over HTTP on loopback: discovery, device
 * authorization, a token endpoint that answers `authorization_pending` twice before the user
 * "approves", and refresh. openid-client does the rest exactly as against a real provider.
 */
describe('gatehouse login: device code and refresh through openid-client', () => {
  let server: Server;
  let issuer: string;
  let home: string;
  const requests: string[] = [];
  let polls = 0;
  let refreshes = 0;

  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'gatehouse-login-'));
    server = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const form = new URLSearchParams(Buffer.concat(chunks).toString());
      requests.push(`${req.method} ${req.url} ${form.get('grant_type') ?? ''}`);
      const json = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
        res.end(JSON.stringify(body));
      };
      if (req.url === '/.well-known/openid-configuration') {
        return json(200, {
          issuer,
          token_endpoint: `${issuer}/token`,
          device_authorization_endpoint: `${issuer}/device/auth`,
          jwks_uri: `${issuer}/jwks`,
          authorization_endpoint: `${issuer}/auth`,
          response_types_supported: ['code'],
        });
      }
      if (req.url === '/device/auth') {
        expect(form.get('client_id')).toBe('gatehouse-cli');
        expect(form.get('scope')).toBe('openid offline_access');
        return json(200, {
          device_code: 'dev-code-1',
          user_code: 'WDJB-MJHT',
          verification_uri: `${issuer}/device`,
          verification_uri_complete: `${issuer}/device?user_code=WDJB-MJHT`,
          expires_in: 600,
          interval: 1,
        });
      }
      if (
        req.url === '/token' &&
        form.get('grant_type') === 'urn:ietf:params:oauth:grant-type:device_code'
      ) {
        expect(form.get('device_code')).toBe('dev-code-1');
        polls++;
        if (polls < 3) return json(400, { error: 'authorization_pending' });
        return json(200, {
          access_token: 'access-1',
          token_type: 'Bearer',
          expires_in: 3600,
          refresh_token: 'refresh-1',
          scope: 'openid offline_access',
        });
      }
      if (req.url === '/token' && form.get('grant_type') === 'refresh_token') {
        refreshes++;
        if (form.get('refresh_token') !== 'refresh-1') return json(400, { error: 'invalid_grant' });
        // No new refresh token: the cached one stays.
        return json(200, {
          access_token: `access-r${refreshes}`,
          token_type: 'Bearer',
          expires_in: 600,
        });
      }
      json(404, { error: 'not_found' });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.close();
    await rm(home, { recursive: true, force: true });
  });

  const target = (): LoginTarget => ({
    issuer,
    clientId: 'gatehouse-cli',
    scopes: ['openid', 'offline_access'],
    kind: 'access_token',
  });

  it('prompts with the verification URL, polls until approved, and caches the tokens', async () => {
    const env = { GATEHOUSE_CONFIG_DIR: home };
    let prompt = '';
    const entry = await deviceLogin(target(), (text) => (prompt += text), env);
    expect(prompt).toContain(`${issuer}/device?user_code=WDJB-MJHT`);
    expect(polls).toBe(3);
    expect(entry).toMatchObject({
      token: 'access-1',
      refreshToken: 'refresh-1',
      kind: 'access_token',
    });
    expect(entry.expiresAt).toBeGreaterThan(Date.now() / 1000 + 3500);
    expect(await readCachedToken(issuer, 'gatehouse-cli', { env })).toEqual(entry);
  }, 20_000);

  it('refreshes an expiring login, keeping the refresh token', async () => {
    const env = { GATEHOUSE_CONFIG_DIR: home };
    const cached = await readCachedToken(issuer, 'gatehouse-cli', { env });
    const refreshed = await refreshLogin(target(), { ...cached!, expiresAt: 0 }, env);
    expect(refreshed).toMatchObject({ token: 'access-r1', refreshToken: 'refresh-1' });
    expect((await readCachedToken(issuer, 'gatehouse-cli', { env }))?.token).toBe('access-r1');
  });

  it('currentToken uses the cache while fresh and refreshes without prompting once stale', async () => {
    const env = { GATEHOUSE_CONFIG_DIR: home };
    const before = refreshes;
    expect((await currentToken(target(), false, env)).token).toBe('access-r1');
    expect(refreshes).toBe(before);
    const cached = await readCachedToken(issuer, 'gatehouse-cli', { env });
    await writeCachedToken({ ...cached!, expiresAt: Math.floor(Date.now() / 1000) + 30 }, { env });
    expect((await currentToken(target(), false, env)).token).toBe(`access-r${before + 1}`);
    expect(refreshes).toBe(before + 1);
  });

  it('refuses an http issuer off loopback', async () => {
    await expect(
      deviceLogin({ ...target(), issuer: 'http://login.example.com' }, () => {}, {
        GATEHOUSE_CONFIG_DIR: home,
      }),
    ).rejects.toThrow(/must be https/);
  });
});
