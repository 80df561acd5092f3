import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { decodeJwt } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { registerTokenCommand } from '../../src/cli/commands/token.js';
import type { IssuerConfig } from '../../src/config/schema.js';
import { loadConfig } from '../../src/connectors/registry.js';
import { createAuthenticator, DEV_ISSUER, DevIssuer } from '../../src/identity/index.js';
import { testClock } from './helpers/local-issuer.js';

const noSecrets = () => {
  throw new Error('no secrets in this test');
};

describe('dev issuer', () => {
  let dir: string;
  let dev: IssuerConfig;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-dev-issuer-'));
    dev = { name: 'dev', kind: 'generic', dev: true, key_file: join(dir, 'keys', 'dev.json') };
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('creates its key 0600 in a new 0700 directory and mints tokens the gateway accepts', async () => {
    const issuer = await DevIssuer.load(dev);
    expect((await stat(dev.key_file!)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'keys'))).mode & 0o777).toBe(0o700);

    const token = await issuer.mint('alice', { groups: ['dba'], name: 'Alice' });
    expect(decodeJwt(token)).toMatchObject({ iss: DEV_ISSUER, aud: 'gatehouse', sub: 'alice' });
    const auth = await createAuthenticator([dev], { secret: noSecrets });
    expect(await auth.authenticate(token)).toMatchObject({
      issuer: DEV_ISSUER,
      issuerName: 'dev',
      subject: 'alice',
      name: 'Alice',
      groups: ['dba'],
      agent: false,
    });
    const agent = await issuer.mint('etl-bot', { agent: true });
    expect(await auth.authenticate(agent)).toMatchObject({ subject: 'etl-bot', agent: true });
  });

  it('keeps its key across restarts', async () => {
    const first = await DevIssuer.load(dev);
    const keyText = await readFile(dev.key_file!, 'utf8');
    const token = await first.mint('alice');
    const restarted = await createAuthenticator([dev], { secret: noSecrets });
    await expect(restarted.authenticate(token)).resolves.toMatchObject({ subject: 'alice' });
    expect(await readFile(dev.key_file!, 'utf8')).toBe(keyText);
  });

  it('is refused unless the config has an issuer with dev: true', async () => {
    const token = await (await DevIssuer.load(dev)).mint('mallory', { groups: ['dba'] });
    const production = await createAuthenticator(
      [{ name: 'corp', kind: 'generic', issuer: 'https://idp.example.com', audience: 'gatehouse' }],
      { secret: noSecrets },
    );
    await expect(production.authenticate(token)).rejects.toMatchObject({
      code: 'token_invalid',
      message: expect.stringContaining('not a configured issuer'),
    });
  });

  it("refuses another dev issuer's tokens and expired dev tokens", async () => {
    const clock = testClock();
    const elsewhere = await DevIssuer.load({ ...dev, key_file: join(dir, 'other.json') });
    const auth = await createAuthenticator([dev], { secret: noSecrets, clock });
    await expect(auth.authenticate(await elsewhere.mint('alice'))).rejects.toMatchObject({
      code: 'token_invalid',
    });
    const ours = await DevIssuer.load(dev, { clock });
    const token = await ours.mint('alice', { ttlSeconds: 60 });
    await expect(auth.authenticate(token)).resolves.toBeDefined();
    clock.advance(120_000);
    await expect(auth.authenticate(token)).rejects.toMatchObject({
      code: 'token_invalid',
      message: expect.stringContaining('expired'),
    });
  });

  it('refuses to use a key file that holds no key', async () => {
    await writeFile(join(dir, 'broken.json'), 'not json');
    await expect(DevIssuer.load({ ...dev, key_file: join(dir, 'broken.json') })).rejects.toThrow(
      /not JSON/,
    );
  });
});

describe('gatehouse token --dev', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-token-cli-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  async function run(...args: string[]): Promise<string> {
    let out = '';
    const program = new Command('gatehouse').exitOverride();
    program.configureOutput({ writeOut: (text) => (out += text), writeErr: () => {} });
    registerTokenCommand(program);
    await program.parseAsync(['token', ...args], { from: 'user' });
    return out;
  }

  it("prints only a token, which the config's dev issuer accepts", async () => {
    const file = join(dir, 'gatehouse.yaml');
    await writeFile(
      file,
      'identity:\n  issuers:\n    - name: dev\n      dev: true\n      key_file: ./dev-key.json\n',
    );
    const out = await run(
      '--dev',
      'alice',
      '--groups',
      'dba, agents',
      '--agent',
      '--ttl',
      '10m',
      '-c',
      file,
    );
    expect(out).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    const config = await loadConfig(file);
    const auth = await createAuthenticator(config.identity.issuers, { secret: noSecrets });
    expect(await auth.authenticate(out.trim())).toMatchObject({
      subject: 'alice',
      groups: ['dba', 'agents'],
      agent: true,
    });
    const { exp, iat } = decodeJwt(out.trim());
    expect(exp! - iat!).toBe(600);
  });

  it('refuses a config without a dev issuer', async () => {
    const file = join(dir, 'gatehouse.yaml');
    await writeFile(
      file,
      'identity:\n  issuers:\n    - name: corp\n      issuer: https://idp.example.com\n      audience: gatehouse\n',
    );
    await expect(run('--dev', 'alice', '-c', file)).rejects.toThrow(/no dev issuer/);
  });
});
