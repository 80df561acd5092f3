import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IssuerConfig } from '../../src/config/schema.js';
import { createAuthenticator } from '../../src/identity/index.js';

const noSecrets = () => {
  throw new Error('no secrets in this test');
};

/**
 * A real OpenID provider (panva's oidc-provider) on 127.0.0.1:0 issuing JWT access tokens to a
 * client-credentials client, discovered over HTTP like any production issuer.
 */
describe('kind: generic against a real OpenID provider', () => {
  let server: Server;
  let issuer: string;
  const fetched: string[] = [];
  const countingFetch: typeof fetch = (input, init) => {
    fetched.push(String(input instanceof Request ? input.url : input));
    return fetch(input, init);
  };

  async function clientCredentialsToken(resource: string, client = 'ci-bot'): Promise<string> {
    const response = await fetch(`${issuer}/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: client,
        client_secret: `${client}-secret`,
        resource,
        scope: 'db',
      }),
    });
    const body = (await response.json()) as { access_token?: string; error?: string };
    if (!body.access_token) throw new Error(`token request failed: ${JSON.stringify(body)}`);
    return body.access_token;
  }

  beforeAll(async () => {
    server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const client = (id: string) => ({
      client_id: id,
      client_secret: `${id}-secret`,
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
      token_endpoint_auth_method: 'client_secret_post',
      id_token_signed_response_alg: 'ES256',
    });
    const provider = new Provider(issuer, {
      clients: [client('ci-bot'), client('reporting')],
      ttl: { ClientCredentials: 300 },
      jwks: {
        keys: [{ ...(await exportJWK(privateKey)), kid: 'op-key', alg: 'ES256', use: 'sig' }],
      },
      features: {
        devInteractions: { enabled: false },
        clientCredentials: { enabled: true },
        resourceIndicators: {
          enabled: true,
          defaultResource: () => 'api://gatehouse',
          useGrantedResource: () => true,
          getResourceServerInfo: (_ctx: unknown, resource: string) => ({
            scope: 'db',
            audience: resource,
            accessTokenFormat: 'jwt',
            accessTokenTTL: 300,
            jwt: { sign: { alg: 'ES256' } },
          }),
        },
      },
      extraTokenClaims: (_ctx: unknown, token: { clientId?: string }) => ({
        groups: token.clientId === 'ci-bot' ? ['deployers', 'readers'] : ['readers'],
        realm_access: { roles: ['db-reader'] },
        'https://gatehouse.example/team': 'platform',
      }),
    });
    server.on('request', provider.callback());
  });
  afterAll(async () => {
    server.closeAllConnections();
    server.close();
    await once(server, 'close');
  });

  const generic = (extra: Partial<IssuerConfig> = {}): IssuerConfig => ({
    name: 'corp-idp',
    kind: 'generic',
    issuer,
    audience: 'api://gatehouse',
    ...extra,
  });

  it('verifies a client-credentials JWT access token with the default claim mapping', async () => {
    fetched.length = 0;
    const auth = await createAuthenticator([generic({ agents: { subjects: ['ci-bot'] } })], {
      secret: noSecrets,
      fetch: countingFetch,
    });
    const identity = await auth.authenticate(await clientCredentialsToken('api://gatehouse'));
    expect(identity).toMatchObject({
      issuer,
      issuerName: 'corp-idp',
      subject: 'ci-bot',
      groups: ['deployers', 'readers'],
      agent: true,
    });
    expect(identity.expiresAt).toBeGreaterThan(Date.now() / 1000);

    const other = await auth.authenticate(
      await clientCredentialsToken('api://gatehouse', 'reporting'),
    );
    expect(other).toMatchObject({ subject: 'reporting', agent: false });
    expect(fetched.filter((u) => u.endsWith('/.well-known/openid-configuration'))).toHaveLength(1);
    expect(fetched.filter((u) => u.includes('jwks'))).toHaveLength(1);
  });

  it('maps custom claims: nested paths and URL-named claims', async () => {
    const auth = await createAuthenticator(
      [
        generic({
          claims: {
            subject: 'client_id',
            name: 'https://gatehouse.example/team',
            groups: 'realm_access.roles',
          },
        }),
      ],
      { secret: noSecrets },
    );
    const identity = await auth.authenticate(await clientCredentialsToken('api://gatehouse'));
    expect(identity).toMatchObject({ subject: 'ci-bot', name: 'platform', groups: ['db-reader'] });
  });

  it('marks agents by group through the agents setting', async () => {
    const auth = await createAuthenticator([generic({ agents: { groups: ['deployers'] } })], {
      secret: noSecrets,
    });
    const identity = await auth.authenticate(await clientCredentialsToken('api://gatehouse'));
    expect(identity.agent).toBe(true);
  });

  it("refuses the provider's token for another audience", async () => {
    const auth = await createAuthenticator([generic()], { secret: noSecrets });
    await expect(
      auth.authenticate(await clientCredentialsToken('api://other')),
    ).rejects.toMatchObject({
      code: 'token_invalid',
      message: expect.stringContaining('audience'),
    });
  });

  it('refuses a subject claim that the token lacks', async () => {
    const auth = await createAuthenticator([generic({ claims: { subject: 'email' } })], {
      secret: noSecrets,
    });
    await expect(
      auth.authenticate(await clientCredentialsToken('api://gatehouse')),
    ).rejects.toMatchObject({ code: 'token_invalid', message: 'token has no "email" claim' });
  });
});
