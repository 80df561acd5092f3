import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthenticator, GITHUB_ACTIONS_ISSUER } from '../../src/identity/index.js';
import { lifetime } from './helpers/entra-claims.js';
import { LocalIssuer, makeKey, type TestKey, testClock } from './helpers/local-issuer.js';

const noSecrets = () => {
  throw new Error('no secrets in this test');
};

/** Claims as GitHub Actions puts them in a job's OIDC token. */
function actionsClaims(iss: string, now: number, extra: Record<string, unknown> = {}) {
  return {
    iss,
    aud: 'gatehouse',
    ...lifetime(now, 300),
    sub: 'repo:acme/payments:environment:production',
    repository: 'acme/payments',
    repository_owner: 'acme',
    repository_id: '123',
    environment: 'production',
    ref: 'refs/heads/main',
    workflow: 'deploy',
    job_workflow_ref: 'acme/payments/.github/workflows/deploy.yml@refs/heads/main',
    run_id: '42',
    ...extra,
  };
}

describe('kind: github-actions', () => {
  let issuer: LocalIssuer;
  let key: TestKey;
  const clock = testClock();

  beforeAll(async () => {
    issuer = await LocalIssuer.start();
    key = await makeKey('gh-1');
    issuer.published = [key];
  });
  afterAll(() => issuer[Symbol.asyncDispose]());

  it('is always an agent, with repository, owner and environment groups', async () => {
    const auth = await createAuthenticator(
      [
        {
          name: 'github',
          kind: 'github-actions',
          issuer: issuer.url,
          audience: 'gatehouse',
          owners: ['ACME'],
        },
      ],
      { secret: noSecrets, clock },
    );
    const identity = await auth.authenticate(
      await issuer.sign(actionsClaims(issuer.url, clock.seconds()), key),
    );
    expect(identity).toEqual({
      issuer: issuer.url,
      issuerName: 'github',
      subject: 'repo:acme/payments:environment:production',
      name: 'acme/payments (deploy)',
      groups: ['repo:acme/payments', 'owner:acme', 'env:acme/payments:production'],
      agent: true,
      expiresAt: clock.seconds() + 300,
    });

    const branch = actionsClaims(issuer.url, clock.seconds(), {
      sub: 'repo:acme/payments:ref:refs/heads/main',
      environment: undefined,
    });
    const onBranch = await auth.authenticate(await issuer.sign(branch, key));
    expect(onBranch.groups).toEqual(['repo:acme/payments', 'owner:acme']);

    // Any repository on GitHub can mint a token for this audience: other owners are refused.
    const stranger = actionsClaims(issuer.url, clock.seconds(), {
      sub: 'repo:mallory/tools:ref:refs/heads/main',
      repository: 'mallory/tools',
      repository_owner: 'mallory',
    });
    await expect(auth.authenticate(await issuer.sign(stranger, key))).rejects.toMatchObject({
      code: 'token_invalid',
      message: expect.stringContaining('mallory'),
    });
  });

  it('defaults the issuer to token.actions.githubusercontent.com', async () => {
    const requested: string[] = [];
    const offline: typeof fetch = async (input) => {
      requested.push(String(input));
      throw new TypeError('offline');
    };
    const auth = await createAuthenticator(
      [{ name: 'github', kind: 'github-actions', audience: 'gatehouse', owners: ['acme'] }],
      { secret: noSecrets, clock, fetch: offline },
    );
    const token = await issuer.sign(actionsClaims(GITHUB_ACTIONS_ISSUER, clock.seconds()), key);
    await expect(auth.authenticate(token)).rejects.toMatchObject({ code: 'issuer_unavailable' });
    expect(requested[0]).toBe(`${GITHUB_ACTIONS_ISSUER}/.well-known/openid-configuration`);
  });
});
