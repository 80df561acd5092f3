/**
 * psql's large-object commands (\lo_import, \lo_export, \lo_unlink) call lo_creat, lo_open,
 * lowrite, loread, … over the fast-path FunctionCall: the gateway checks each as the
 * `SELECT pg_catalog.f(…)` it amounts to, records it, and forwards it.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestConnector, type TestConnector } from '../helpers/pg-connector.js';
import { createDatabase, type TestDatabase } from '../helpers/pg-db.js';
import { psql } from '../helpers/psql.js';

let db: TestDatabase;
let gw: TestConnector;
let masked: TestConnector;
let dir: string;

beforeAll(async () => {
  db = await createDatabase('gh_lo');
  dir = await mkdtemp(join(tmpdir(), 'gh-lo-'));
  const target = {
    host: '127.0.0.1',
    port: 5432,
    user: 'postgres',
    database: db.name,
    tls: 'disable' as const,
  };
  gw = await startTestConnector({
    connector: {
      target,
      rules: [
        {
          name: 'interns-read-only',
          when: { statement: ['write'], groups: ['intern'] },
          action: 'deny',
        },
      ],
    },
  });
  masked = await startTestConnector({
    connector: { target },
    connectorOptions: { responseTransform: () => (_type, frame) => frame },
  });
});
afterAll(async () => {
  await gw?.stop();
  await masked?.stop();
  await db?.drop();
  await rm(dir, { recursive: true, force: true });
});

const via = async (connector: TestConnector, groups = ['dev']) => ({
  host: connector.host,
  port: connector.port,
  user: 'x',
  database: db.name,
  password: await connector.token({ groups }),
});

describe('large objects over the fast path', () => {
  it('imports, exports and unlinks with psql, each call checked and recorded', async () => {
    const source = join(dir, 'in.txt');
    const copy = join(dir, 'out.txt');
    await writeFile(source, 'the ultimate answer: 42\n');
    const result = await psql(
      await via(gw),
      `\\lo_import '${source}'\n\\lo_export :LASTOID '${copy}'\n\\lo_unlink :LASTOID\n`,
    );
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/^lo_import \d+\nlo_export\nlo_unlink \d+\n$/);
    expect(await readFile(copy, 'utf8')).toBe('the ultimate answer: 42\n');
    const texts = gw.audit.commands.map((c) => c.command.text);
    expect(texts).toContain('SELECT pg_catalog.lowrite($1, $2)');
    expect(texts).toContain('SELECT pg_catalog.loread($1, $2)');
    const write = gw.audit.commands.find(
      (c) => c.command.text === 'SELECT pg_catalog.lowrite($1, $2)',
    )!;
    expect(write.command.classes).toContain('write');
    expect(write.command.params?.[1]).toBe(
      `\\x${Buffer.from('the ultimate answer: 42\n').toString('hex')}`,
    );
  });

  it('applies the policy to each call', async () => {
    const source = join(dir, 'denied.txt');
    await writeFile(source, 'x');
    const result = await psql(await via(gw, ['intern']), `\\lo_import '${source}'\n`);
    expect(result.stderr).toMatch(/denied by rule "interns-read-only"/);
  });

  it('is refused while responses are masked (a function result would pass unmasked)', async () => {
    const source = join(dir, 'masked.txt');
    await writeFile(source, 'x');
    const result = await psql(await via(masked), `\\lo_import '${source}'\n`);
    expect(result.stderr).toMatch(
      /function call protocol is not supported while responses are masked/,
    );
  });
});
