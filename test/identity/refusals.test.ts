import { createPublicKey } from 'node:crypto';
import { base64url, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthenticator, type MultiIssuerAuthenticator } from '../../src/identity/index.js';
import { APP_ID, v2UserClaims } from './helpers/entra-claims.js';
import {
  LocalIssuer,
  makeKey,
  OTHER_TENANT,
  type TestKey,
  testClock,
} from './helpers/local-issuer.js';

const noSecrets = () => {
  throw new Error('no secrets in this test');
};

/** Every refusal is a token_invalid with a readable reason, and the process carries on. */
describe('tokens Gatehouse refuses', () => {
  let issuer: LocalIssuer;
  let key: TestKey;
  let auth: MultiIssuerAuthenticator;
  const clock = testClock();
  const claims = (extra: Record<string, unknown> = {}) =>
    v2UserClaims(issuer.url, clock.seconds(), extra);

  const refused = async (token: string, message: RegExp | string) => {
    const error = await auth.authenticate(token).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toMatchObject({ name: 'GatehouseError', code: 'token_invalid' });
    expect((error as Error).message).toMatch(message);
  };

  beforeAll(async () => {
    issuer = await LocalIssuer.start();
    key = await makeKey('k1');
    issuer.published = [key, await makeKey('k2', 'ES256')];
    auth = await createAuthenticator(
      [{ name: 'entra', kind: 'entra', issuer: issuer.url, audience: APP_ID }],
      { secret: noSecrets, clock },
    );
    // The control: the same claims, correctly signed, pass.
    await expect(auth.authenticate(await issuer.sign(claims(), key))).resolves.toBeDefined();
  });
  afterAll(() => issuer[Symbol.asyncDispose]());

  it('alg: none, without touching the network', async () => {
    const jwksBefore = issuer.hits.jwks;
    const header = base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }));
    const payload = base64url.encode(JSON.stringify(claims()));
    await refused(`${header}.${payload}.`, /algorithm "none" is not accepted/);
    expect(issuer.hits.jwks).toBe(jwksBefore);
  });

  it('HS256 signed with the public key as the HMAC secret', async () => {
    const pem = createPublicKey({ key: key.publicJwk as never, format: 'jwk' })
      .export({ type: 'spki', format: 'pem' })
      .toString();
    for (const secret of [
      new TextEncoder().encode(pem),
      base64url.decode(String(key.publicJwk.n)),
    ]) {
      const token = await new SignJWT(claims())
        .setProtectedHeader({ alg: 'HS256', kid: 'k1' })
        .sign(secret);
      await refused(token, /algorithm "HS256" is not accepted/);
    }
  });

  it('a wrong audience', async () => {
    await refused(await issuer.sign(claims({ aud: 'api://someone-else' }), key), /audience/);
  });

  it('a wrong issuer', async () => {
    await refused(
      await issuer.sign(claims({ iss: 'https://evil.example.com/v2.0' }), key),
      /not a configured issuer/,
    );
    await refused(await issuer.sign(claims({ iss: undefined }), key), 'token has no issuer');
  });

  it('a wrong tenant', async () => {
    await refused(await issuer.sign(claims({ tid: OTHER_TENANT }), key), /tenant/);
  });

  it('expired, beyond the clock skew (but not within it)', async () => {
    const now = clock.seconds();
    await refused(
      await issuer.sign(claims({ iat: now - 7200, nbf: now - 7200, exp: now - 120 }), key),
      /token expired at/,
    );
    const withinSkew = await issuer.sign(claims({ exp: now - 10 }), key);
    await expect(auth.authenticate(withinSkew)).resolves.toMatchObject({ agent: false });
  });

  it('not yet valid, beyond the clock skew (but not within it)', async () => {
    const now = clock.seconds();
    await refused(await issuer.sign(claims({ nbf: now + 120 }), key), /not valid yet/);
    const withinSkew = await issuer.sign(claims({ nbf: now + 10 }), key);
    await expect(auth.authenticate(withinSkew)).resolves.toBeDefined();
  });

  it('a token without expiry', async () => {
    await refused(await issuer.sign(claims({ exp: undefined }), key), 'token has no "exp" claim');
  });

  it('an unknown kid', async () => {
    const stranger = await makeKey('not-published');
    await refused(await issuer.sign(claims(), stranger), /key the issuer does not publish/);
  });

  it('a key not in the JWKS that reuses a published kid', async () => {
    const impostor = await makeKey('k1');
    await refused(await issuer.sign(claims(), impostor), /signature does not verify/);
  });

  it('a key not in the JWKS, without kid', async () => {
    const impostor = await makeKey('ignored');
    await refused(
      await issuer.sign(claims(), impostor, { kid: undefined }),
      /signature does not verify/,
    );
  });

  it('a corrupted signature', async () => {
    const token = await issuer.sign(claims(), key);
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const bytes = base64url.decode(signature);
    bytes[10] = (bytes[10] ?? 0) ^ 0xff;
    await refused(`${header}.${payload}.${base64url.encode(bytes)}`, /signature does not verify/);
  });

  it('a payload edited after signing', async () => {
    const token = await issuer.sign(claims(), key);
    const [header, , signature] = token.split('.') as [string, string, string];
    const payload = base64url.encode(JSON.stringify(claims({ groups: ['admins'] })));
    await refused(`${header}.${payload}.${signature}`, /signature does not verify/);
  });

  it('garbage', async () => {
    for (const garbage of ['x', 'a.b.c', 'eyJ.eyJ.sig', `${'A'.repeat(70_000)}`, '{"iss":1}']) {
      await expect(auth.authenticate(garbage)).rejects.toMatchObject({ code: 'token_invalid' });
    }
    await expect(auth.authenticate('')).rejects.toMatchObject({ code: 'token_missing' });
    await expect(auth.authenticate(undefined as unknown as string)).rejects.toMatchObject({
      code: 'token_missing',
    });
  });
});
