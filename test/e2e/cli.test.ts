import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runCli } from '../helpers/cli.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { createDatabase, type TestDatabase } from '../helpers/pg-db.js';
import { requirePostgres } from '../helpers/services.js';

const BROKEN = `server:
  api: { listen: nowhere }
identity:
  issuers:
    - name: dev
      dev: true
connectors:
  - name: pg
    type: postgres
    listen: 127.0.0.1:0
    target: { host: 127.0.0.1, port: 99999 }
    access: { groups: [a] }
    default: maybe
`;

describe('gatehouse config check (the bin, as a process)', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-cli-'));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('accepts the SPEC example and exits 0', async () => {
    const result = await runCli(['config', 'check', '-c', 'examples/spec-example.yaml'], {
      env: { PG_PROD_PASSWORD: 'from-the-environment' },
    });
    expect(result, result.stderr).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(/^ok: 1 connector, 1 issuer\n$/);
  });

  it('names an unset secret reference by key path and line, without printing values', async () => {
    const result = await runCli(['config', 'check', '-c', 'examples/spec-example.yaml'], {
      env: { PG_PROD_PASSWORD: undefined },
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^examples\/spec-example\.yaml:20: connectors\[0\]\.target\.password: .*PG_PROD_PASSWORD/m,
    );
  });

  it('prints FILE:LINE: path: message for every problem in a broken file and exits 1', async () => {
    const file = join(dir, 'broken.yaml');
    await writeFile(file, BROKEN);
    const result = await runCli(['config', 'check', '-c', file]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    const lines = result.stderr.trimEnd().split('\n');
    for (const line of lines)
      expect(line).toMatch(new RegExp(`^${file.replaceAll('.', '\\.')}:\\d+: \\S+: .+$`));
    const located = lines.map((line) =>
      line
        .slice(file.length + 1)
        .split(': ')
        .slice(0, 2)
        .join(': '),
    );
    expect(located).toEqual(
      expect.arrayContaining([
        '2: server.api.listen',
        '11: connectors[0].target.port',
        '13: connectors[0].default',
      ]),
    );
    expect(result.stderr).toContain('invalid listen address "nowhere"');
  });

  it('exits 1 with a message (no stack trace) when the file does not exist', async () => {
    const result = await runCli(['config', 'check', '-c', join(dir, 'missing.yaml')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('missing.yaml');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});

const pgReady = await requirePostgres();

describe.skipIf(!pgReady)('gatehouse token --dev (the bin) against a running gateway', () => {
  let db: TestDatabase | undefined;
  let gw: TestGateway | undefined;
  beforeAll(async () => {
    db = await createDatabase('gh_e2e_cli');
    gw = await startTestGateway({ database: db.name, access: { groups: ['dba'] } });
  });
  afterAll(async () => {
    try {
      await gw?.close();
    } finally {
      await db?.drop();
    }
  });

  async function mint(args: string[]): Promise<string> {
    const result = await runCli(['token', '--dev', ...args, '-c', gw!.configFile], {
      cwd: REPO_ROOT,
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    return result.stdout.trim();
  }

  it('mints a token the gateway accepts, carrying subject, groups and agent', async () => {
    const token = await mint(['alice', '--groups', 'dba,ops', '--agent']);
    expect(await gw!.gateway.authenticator.authenticate(token)).toMatchObject({
      subject: 'alice',
      groups: ['dba', 'ops'],
      agent: true,
    });
    const client = new pg.Client({
      host: gw!.host,
      port: gw!.port,
      user: 'alice',
      database: db!.name,
      password: token,
    });
    await client.connect();
    try {
      expect((await client.query('select 41 + 1 as answer')).rows).toEqual([{ answer: 42 }]);
    } finally {
      await client.end();
    }
  });

  it('mints a token that a connector refuses when its groups are not admitted (28000)', async () => {
    const token = await mint(['mallory', '--groups', 'ops']);
    const client = new pg.Client({
      host: gw!.host,
      port: gw!.port,
      user: 'mallory',
      database: db!.name,
      password: token,
    });
    await expect(client.connect()).rejects.toMatchObject({ code: '28000' });
    await client.end().catch(() => {});
  });
});
