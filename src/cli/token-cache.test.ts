import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type CachedToken,
  configDir,
  readCachedToken,
  removeCachedToken,
  tokenCacheFile,
  tokenFresh,
  writeCachedToken,
} from './token-cache.js';

describe('token cache', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const entry: CachedToken = {
    issuer: 'https://login.example.com/tenant/v2.0',
    clientId: 'gatehouse-cli',
    token: 'eyJ.a.b',
    expiresAt: 2_000_000_000,
    refreshToken: 'r1',
    kind: 'access_token',
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-token-cache-'));
    env = { GATEHOUSE_CONFIG_DIR: dir };
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('finds the config folder from GATEHOUSE_CONFIG_DIR, XDG_CONFIG_HOME or HOME', () => {
    expect(configDir({ GATEHOUSE_CONFIG_DIR: '/x' })).toBe('/x');
    expect(configDir({ XDG_CONFIG_HOME: '/cfg' })).toBe('/cfg/gatehouse');
    expect(configDir({ HOME: '/home/a' })).toBe('/home/a/.config/gatehouse');
  });

  it('writes 0600 in a 0700 folder and reads back per issuer and client', async () => {
    const file = await writeCachedToken(entry, { env });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(join(file, '..'))).mode & 0o777).toBe(0o700);
    expect(await readCachedToken(entry.issuer, entry.clientId, { env })).toEqual(entry);
    expect(await readCachedToken(entry.issuer, 'other-client', { env })).toBeUndefined();
    expect(await readCachedToken('https://elsewhere', entry.clientId, { env })).toBeUndefined();
    await removeCachedToken(entry.issuer, entry.clientId, { env });
    expect(await readCachedToken(entry.issuer, entry.clientId, { env })).toBeUndefined();
  });

  it('treats a damaged or foreign file as no login', async () => {
    const file = await writeCachedToken(entry, { env });
    await writeFile(file, '{"issuer": ');
    expect(await readCachedToken(entry.issuer, entry.clientId, { env })).toBeUndefined();
    await writeFile(file, JSON.stringify({ ...entry, issuer: 'https://other' }));
    expect(await readCachedToken(entry.issuer, entry.clientId, { env })).toBeUndefined();
    expect(JSON.parse(await readFile(file, 'utf8')).issuer).toBe('https://other');
    expect(tokenCacheFile(entry.issuer, entry.clientId, { env })).toBe(file);
  });

  it('calls a token fresh until a minute before it expires', () => {
    expect(tokenFresh({ ...entry, expiresAt: 1000 }, 900_000)).toBe(true);
    expect(tokenFresh({ ...entry, expiresAt: 1000 }, 950_000)).toBe(false);
  });
});
