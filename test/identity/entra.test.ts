import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IssuerConfig } from '../../src/config/schema.js';
import { createAuthenticator, type MultiIssuerAuthenticator } from '../../src/identity/index.js';
import {
  AGENT_OID,
  APP_ID,
  GROUP_DBA,
  GROUP_DEV,
  USER_OID,
  v1UserClaims,
  v2AppClaims,
  v2UserClaims,
} from './helpers/entra-claims.js';
import {
  LocalIssuer,
  makeKey,
  OTHER_TENANT,
  TENANT,
  type TestKey,
  testClock,
} from './helpers/local-issuer.js';

const noSecrets = () => {
  throw new Error('no secrets in this test');
};

describe('kind: entra against a local Entra-shaped issuer', () => {
  let issuer: LocalIssuer;
  let key: TestKey;
  let auth: MultiIssuerAuthenticator;
  const clock = testClock();

  beforeAll(async () => {
    issuer = await LocalIssuer.start();
    key = await makeKey('entra-key-1');
    issuer.published = [key];
    const config: IssuerConfig = {
      name: 'entra',
      kind: 'entra',
      issuer: issuer.url,
      audience: [APP_ID, 'api://gatehouse'],
    };
    auth = await createAuthenticator([config], { secret: noSecrets, clock });
  });
  afterAll(() => issuer[Symbol.asyncDispose]());

  it('maps a v2 delegated user token: subject from oid, groups, a person', async () => {
    const token = await issuer.sign(v2UserClaims(issuer.url, clock.seconds()), key);
    expect(await auth.authenticate(token)).toEqual({
      issuer: issuer.url,
      issuerName: 'entra',
      subject: USER_OID,
      name: 'Ada Lovelace',
      groups: [GROUP_DBA],
      agent: false,
      tenant: TENANT,
      expiresAt: clock.seconds() + 3600,
    });
  });

  it("accepts a v1 token (iss sts.windows.net/{tid}/) of the same tenant, with the tenant's keys", async () => {
    const token = await issuer.sign(v1UserClaims(clock.seconds()), key);
    const identity = await auth.authenticate(token);
    expect(identity).toMatchObject({
      issuer: `https://sts.windows.net/${TENANT}/`,
      issuerName: 'entra',
      subject: 'dddddddd-0000-0000-0000-000000000003',
      name: 'Grace Hopper',
      groups: [GROUP_DEV],
      agent: false,
    });
  });

  it('treats an app-only token (idtyp: app) as an agent whose app roles are groups', async () => {
    const claims = v2AppClaims(issuer.url, clock.seconds(), { app_displayname: 'nightly-agent' });
    const identity = await auth.authenticate(await issuer.sign(claims, key));
    expect(identity).toMatchObject({
      subject: AGENT_OID,
      name: 'nightly-agent',
      groups: ['Agent.Query'],
      agent: true,
    });
  });

  it('treats roles without scp (no idtyp claim, v1 app-only shape) as an agent', async () => {
    const claims = v1UserClaims(clock.seconds(), { scp: undefined, roles: ['Agent.Query'] });
    delete claims['scp'];
    const identity = await auth.authenticate(await issuer.sign(claims, key));
    expect(identity.agent).toBe(true);
    expect(identity.groups).toEqual([GROUP_DEV, 'Agent.Query']);
  });

  it('merges groups and app roles of a user without duplicates', async () => {
    const claims = v2UserClaims(issuer.url, clock.seconds(), {
      groups: [GROUP_DBA, GROUP_DEV],
      roles: ['Reviewer', GROUP_DBA],
    });
    const identity = await auth.authenticate(await issuer.sign(claims, key));
    expect(identity.groups).toEqual([GROUP_DBA, GROUP_DEV, 'Reviewer']);
    expect(identity.agent).toBe(false);
  });

  it('refuses a token of another tenant even when signed with the shared keys', async () => {
    const claims = v2UserClaims(issuer.url, clock.seconds(), { tid: OTHER_TENANT });
    await expect(auth.authenticate(await issuer.sign(claims, key))).rejects.toMatchObject({
      code: 'token_invalid',
      message: expect.stringContaining('tenant'),
    });
  });

  it("refuses another tenant's v1 issuer as an unconfigured issuer", async () => {
    const claims = v1UserClaims(clock.seconds(), {
      iss: `https://sts.windows.net/${OTHER_TENANT}/`,
      tid: OTHER_TENANT,
    });
    await expect(auth.authenticate(await issuer.sign(claims, key))).rejects.toMatchObject({
      code: 'token_invalid',
      message: expect.stringContaining('not a configured issuer'),
    });
  });

  it('refuses a token without tid or oid', async () => {
    const noTid = v2UserClaims(issuer.url, clock.seconds());
    delete noTid['tid'];
    await expect(auth.authenticate(await issuer.sign(noTid, key))).rejects.toMatchObject({
      code: 'token_invalid',
    });
    const noOid = v2UserClaims(issuer.url, clock.seconds());
    delete noOid['oid'];
    await expect(auth.authenticate(await issuer.sign(noOid, key))).rejects.toMatchObject({
      code: 'token_invalid',
      message: 'token has no "oid" claim',
    });
  });

  it('refuses a groups claim that is not a list of strings', async () => {
    const claims = v2UserClaims(issuer.url, clock.seconds(), { groups: [1, 2] });
    await expect(auth.authenticate(await issuer.sign(claims, key))).rejects.toMatchObject({
      code: 'token_invalid',
      message: 'token claim "groups" is not a list of strings',
    });
  });
});

describe('kind: entra configuration', () => {
  const base = { name: 'entra', kind: 'entra' as const, audience: 'api://gatehouse' };

  it('needs a tenant id: from the issuer URL, or the tenant key', async () => {
    await expect(
      createAuthenticator([{ ...base, issuer: 'https://login.microsoftonline.com/common/v2.0' }], {
        secret: noSecrets,
      }),
    ).rejects.toThrow(TypeError);
    const auth = await createAuthenticator(
      [{ ...base, issuer: 'https://login.example.com/v2.0', tenant: TENANT }],
      { secret: noSecrets },
    );
    expect(auth).toBeDefined();
  });

  it('accepts plain http issuers only on loopback', async () => {
    await expect(
      createAuthenticator([{ ...base, issuer: `http://idp.example.com/${TENANT}/v2.0` }], {
        secret: noSecrets,
      }),
    ).rejects.toThrow(/https/);
  });

  it('refuses two issuers that claim the same iss', async () => {
    const issuer = `https://login.microsoftonline.com/${TENANT}/v2.0`;
    await expect(
      createAuthenticator(
        [
          { ...base, issuer },
          { ...base, name: 'entra-v1', issuer: `https://sts.windows.net/${TENANT}/` },
        ],
        { secret: noSecrets },
      ),
    ).rejects.toThrow(/both accept/);
  });
});
