import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { IssuerConfig, SecretRef } from '../../src/config/schema.js';
import { createAuthenticator } from '../../src/identity/index.js';
import { AGENT_OID, APP_ID, USER_OID, v2AppClaims, v2UserClaims } from './helpers/entra-claims.js';
import { FakeGraph } from './helpers/fake-graph.js';
import { LocalIssuer, makeKey, type TestKey, testClock } from './helpers/local-issuer.js';

/** What Entra puts in a token instead of `groups` when the user is in too many. */
function overage(issuer: LocalIssuer, oid: string) {
  return {
    _claim_names: { groups: 'src1' },
    _claim_sources: {
      // Never fetched: the token names it, so an attacker could too.
      src1: {
        endpoint: `https://graph.windows.net/${issuer.tenant}/users/${oid}/getMemberObjects`,
      },
    },
  };
}

const manyGroups = Array.from(
  { length: 230 },
  (_, i) => `eeeeeeee-0000-0000-0000-${String(i).padStart(12, '0')}`,
);

describe('Entra groups overage', () => {
  let issuer: LocalIssuer;
  let graph: FakeGraph;
  let key: TestKey;
  const clock = testClock();
  const secrets: SecretRef[] = [];
  const secret = (ref: SecretRef) => {
    secrets.push(ref);
    return 's3cret';
  };
  const entra = (extra: Partial<IssuerConfig> = {}): IssuerConfig => ({
    name: 'entra',
    kind: 'entra',
    issuer: issuer.url,
    audience: APP_ID,
    ...extra,
  });
  const withGraph = () =>
    entra({
      graph: {
        client_id: 'graph-client',
        client_secret: { env: 'GRAPH_SECRET' },
        endpoint: graph.url,
      },
    });

  beforeEach(async () => {
    issuer = await LocalIssuer.start();
    graph = await FakeGraph.start();
    key = await makeKey('k1');
    issuer.published = [key];
    graph.groups.set(USER_OID, manyGroups);
    graph.groups.set(AGENT_OID, ['ffffffff-0000-0000-0000-000000000001']);
  });
  afterEach(async () => {
    await issuer[Symbol.asyncDispose]();
    await graph[Symbol.asyncDispose]();
  });

  it('is refused with a clear message when Graph is not configured, never read as "no groups"', async () => {
    const auth = await createAuthenticator([entra()], { secret, clock });
    const claims = v2UserClaims(issuer.url, clock.seconds(), overage(issuer, USER_OID));
    delete claims['groups'];
    const error = await auth.authenticate(await issuer.sign(claims, key)).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'token_invalid',
      message: expect.stringContaining('groups overage'),
      details: { hint: expect.stringContaining('graph') },
    });
    expect(graph.requests).toHaveLength(0);
  });

  it('is resolved through Microsoft Graph when configured, following every page', async () => {
    graph.pageSize = 100;
    const auth = await createAuthenticator([withGraph()], { secret, clock });
    const claims = v2UserClaims(issuer.url, clock.seconds(), {
      ...overage(issuer, USER_OID),
      roles: ['Reviewer'],
    });
    delete claims['groups'];
    const identity = await auth.authenticate(await issuer.sign(claims, key));
    expect(identity.groups).toEqual([...manyGroups, 'Reviewer']);
    expect(identity.agent).toBe(false);
    expect(graph.requests.map((r) => r.method)).toEqual(['POST', 'GET', 'GET']);
    expect(graph.requests[0]!.path).toBe(`/v1.0/directoryObjects/${USER_OID}/getMemberObjects`);

    // Client credentials against the tenant's token endpoint from discovery, Graph's scope.
    const form = issuer.tokenRequests[0]!;
    expect(form.get('grant_type')).toBe('client_credentials');
    expect(form.get('scope')).toBe(`${graph.url}/.default`);
    expect(secrets).toContainEqual({ env: 'GRAPH_SECRET' });

    // The Graph token and the answer are reused for a while.
    await auth.authenticate(await issuer.sign(claims, key));
    expect(issuer.hits.token).toBe(1);
    expect(graph.requests).toHaveLength(3);
  });

  it('resolves an app-only overage token (hasgroups) for a service principal', async () => {
    const auth = await createAuthenticator([withGraph()], { secret, clock });
    const claims = v2AppClaims(issuer.url, clock.seconds(), { hasgroups: true });
    const identity = await auth.authenticate(await issuer.sign(claims, key));
    expect(identity).toMatchObject({
      agent: true,
      groups: ['ffffffff-0000-0000-0000-000000000001', 'Agent.Query'],
    });
  });

  it('fails closed with issuer_unavailable when Graph cannot answer', async () => {
    graph.failWith = 503;
    const auth = await createAuthenticator([withGraph()], { secret, clock });
    const claims = v2UserClaims(issuer.url, clock.seconds(), overage(issuer, USER_OID));
    delete claims['groups'];
    await expect(auth.authenticate(await issuer.sign(claims, key))).rejects.toMatchObject({
      code: 'issuer_unavailable',
      message: expect.stringContaining('Microsoft Graph'),
    });
  });

  it('fails closed when Graph credentials are refused', async () => {
    const auth = await createAuthenticator([withGraph()], { secret: () => 'wrong', clock });
    const claims = v2UserClaims(issuer.url, clock.seconds(), overage(issuer, USER_OID));
    await expect(auth.authenticate(await issuer.sign(claims, key))).rejects.toMatchObject({
      code: 'issuer_unavailable',
    });
    expect(graph.requests).toHaveLength(0);
  });

  it('needs the Graph client secret at start, not at the first overage token', async () => {
    const missing = () => {
      throw new Error('GRAPH_SECRET is not set');
    };
    await expect(createAuthenticator([withGraph()], { secret: missing, clock })).rejects.toThrow(
      'GRAPH_SECRET is not set',
    );
  });

  it('does not consult Graph for tokens that carry their groups', async () => {
    const auth = await createAuthenticator([withGraph()], { secret, clock });
    await auth.authenticate(await issuer.sign(v2UserClaims(issuer.url, clock.seconds()), key));
    expect(graph.requests).toHaveLength(0);
    expect(issuer.hits.token).toBe(0);
  });
});
