import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { IssuerConfig } from '../../src/config/schema.js';
import { createAuthenticator, type MultiIssuerAuthenticator } from '../../src/identity/index.js';
import { APP_ID, v2UserClaims } from './helpers/entra-claims.js';
import { LocalIssuer, makeKey, type TestKey, testClock } from './helpers/local-issuer.js';

const noSecrets = () => {
  throw new Error('no secrets in this test');
};

describe('signing keys and issuer availability', () => {
  let issuer: LocalIssuer;
  let key: TestKey;
  let clock: ReturnType<typeof testClock>;
  let auth: MultiIssuerAuthenticator;
  let config: IssuerConfig;
  const claims = () => v2UserClaims(issuer.url, clock.seconds());

  beforeEach(async () => {
    issuer = await LocalIssuer.start();
    key = await makeKey('old');
    issuer.published = [key];
    clock = testClock();
    config = { name: 'entra', kind: 'entra', issuer: issuer.url, audience: APP_ID };
    auth = await createAuthenticator([config], { secret: noSecrets, clock });
  });
  afterEach(() => issuer[Symbol.asyncDispose]());

  it('refetches the JWKS once when a rotated key appears', async () => {
    await auth.authenticate(await issuer.sign(claims(), key));
    expect(issuer.hits).toMatchObject({ discovery: 1, jwks: 1 });

    const rotated = await makeKey('new');
    issuer.published = [key, rotated];
    clock.advance(60_000);
    await expect(auth.authenticate(await issuer.sign(claims(), rotated))).resolves.toBeDefined();
    await expect(auth.authenticate(await issuer.sign(claims(), rotated))).resolves.toBeDefined();
    await expect(auth.authenticate(await issuer.sign(claims(), key))).resolves.toBeDefined();
    expect(issuer.hits).toMatchObject({ discovery: 1, jwks: 2 });
  });

  it('rate-limits refetches: a flood of unknown kids costs at most one JWKS request', async () => {
    await auth.authenticate(await issuer.sign(claims(), key));
    clock.advance(60_000);
    const strangers = await Promise.all(
      Array.from({ length: 40 }, (_, i) => makeKey(`unknown-${i}`, 'ES256')),
    );
    const tokens = await Promise.all(strangers.map((k) => issuer.sign(claims(), k)));
    const results = await Promise.allSettled(tokens.map((t) => auth.authenticate(t)));
    for (const t of tokens) await auth.authenticate(t).catch(() => undefined);
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    expect(issuer.hits.jwks).toBe(2);

    // A key published during the cooldown is picked up once the cooldown has passed.
    const rotated = await makeKey('rotated');
    issuer.published = [key, rotated];
    const token = await issuer.sign(claims(), rotated);
    await expect(auth.authenticate(token)).rejects.toMatchObject({ code: 'token_invalid' });
    clock.advance(31_000);
    await expect(auth.authenticate(token)).resolves.toBeDefined();
    expect(issuer.hits.jwks).toBe(3);
  });

  it('stops accepting a key the issuer withdrew once the cached key set ages out', async () => {
    await auth.authenticate(await issuer.sign(claims(), key));
    const replacement = await makeKey('replacement');
    issuer.published = [replacement];
    clock.advance(11 * 60_000);
    await expect(auth.authenticate(await issuer.sign(claims(), key))).rejects.toMatchObject({
      code: 'token_invalid',
    });
    await expect(
      auth.authenticate(await issuer.sign(claims(), replacement)),
    ).resolves.toBeDefined();
  });

  it('tries each key when a token has no kid and several keys could match', async () => {
    const second = await makeKey('second');
    issuer.published = [key, second];
    const token = await issuer.sign(claims(), second, { kid: undefined });
    await expect(auth.authenticate(token)).resolves.toMatchObject({ issuerName: 'entra' });
  });

  it('starts while the issuer is down, fails tokens closed, recovers on its own', async () => {
    issuer.failWith = 503;
    const lazy = await createAuthenticator([config], { secret: noSecrets, clock });
    await lazy.warmUp(); // logs, never throws
    const token = await issuer.sign(claims(), key);
    await expect(lazy.authenticate(token)).rejects.toMatchObject({
      code: 'issuer_unavailable',
      message: expect.stringContaining('could not be reached'),
    });
    expect(issuer.hits.discovery).toBe(0); // counted only when answered
    issuer.failWith = undefined;
    await expect(lazy.authenticate(token)).resolves.toMatchObject({ agent: false });
  });

  it('fails closed when the JWKS cannot be fetched', async () => {
    await auth.authenticate(await issuer.sign(claims(), key));
    issuer.failWith = 500;
    clock.advance(11 * 60_000); // the cached keys are too old to trust
    await expect(auth.authenticate(await issuer.sign(claims(), key))).rejects.toMatchObject({
      code: 'issuer_unavailable',
    });
  });

  it('refuses an issuer whose discovery document names another issuer', async () => {
    const impostor = await createAuthenticator(
      [{ ...config, issuer: `${issuer.origin}/${issuer.tenant}/v2.0/`, tenant: issuer.tenant }],
      { secret: noSecrets, clock },
    );
    const token = await issuer.sign(
      { ...claims(), iss: `${issuer.origin}/${issuer.tenant}/v2.0/` },
      key,
    );
    await expect(impostor.authenticate(token)).rejects.toMatchObject({
      code: 'issuer_unavailable',
      message: expect.stringContaining('misconfigured'),
    });
  });

  it('answers issuer_unavailable when nothing listens at the issuer any more', async () => {
    const token = await issuer.sign(claims(), key);
    await issuer[Symbol.asyncDispose]();
    const gone = await createAuthenticator([config], { secret: noSecrets, clock });
    await expect(gone.authenticate(token)).rejects.toMatchObject({ code: 'issuer_unavailable' });
    issuer = await LocalIssuer.start(); // only so that afterEach has something to close
  });
});
