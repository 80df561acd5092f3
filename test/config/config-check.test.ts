import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { registerConfigCommand } from '../../src/cli/commands/config.js';

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-check-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  process.exitCode = undefined;
  delete process.env['GATEHOUSE_TEST_PG_PASSWORD'];
});

/** Runs `gatehouse config check …` through commander, as the bin does. */
async function run(...args: string[]) {
  let stdout = '';
  let stderr = '';
  const program = new Command('gatehouse').exitOverride();
  registerConfigCommand(program, {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
  });
  await program.parseAsync(['config', 'check', ...args], { from: 'user' });
  return { stdout, stderr, code: process.exitCode ?? 0 };
}

const good = `identity:
  issuers:
    - { name: dev, dev: true }
    - { name: ci, kind: github-actions, issuer: https://token.actions.githubusercontent.com, audience: gatehouse, owners: [acme] }
connectors:
  - name: pg
    type: postgres
    listen: 127.0.0.1:15432
    target: { host: db, port: 5432, password: { env: GATEHOUSE_TEST_PG_PASSWORD } }
    access: { groups: [dba] }
`;

describe('gatehouse config check', () => {
  it('prints a summary and exits 0 for a good config', async () => {
    const file = join(dir, 'good.yaml');
    writeFileSync(file, good);
    process.env['GATEHOUSE_TEST_PG_PASSWORD'] = 'do-not-print-me';
    const result = await run('-c', file);
    expect(result).toEqual({ stdout: 'ok: 1 connector, 2 issuers\n', stderr: '', code: 0 });
  });

  it('prints every error as FILE:LINE: path: message and exits 1', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(
      file,
      good
        .replace(
          'access: { groups: [dba] }',
          'access: { groups: [dba] }\n    rules: [{ name: r, action: nope }]',
        )
        .replace('kind: github-actions', 'kind: gitlab'),
    );
    const result = await run('-c', file);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      [
        `${file}:4: identity.issuers[1].kind: must be one of: entra, generic, github-actions`,
        `${file}:9: connectors[0].target.password: environment variable GATEHOUSE_TEST_PG_PASSWORD is not set`,
        `${file}:11: connectors[0].rules[0].action: must be one of: allow, deny, review`,
        '',
      ].join('\n'),
    );
  });

  it('refuses a github-actions issuer that does not name its owners', async () => {
    const file = join(dir, 'owners.yaml');
    writeFileSync(file, good.replace(', owners: [acme]', ''));
    process.env['GATEHOUSE_TEST_PG_PASSWORD'] = 'x';
    const result = await run('-c', file);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('identity.issuers[1].owners: name the GitHub owners');
  });

  it('reports an unset secret variable by key path', async () => {
    const file = join(dir, 'secret.yaml');
    writeFileSync(file, good);
    const result = await run('--config', file);
    expect(result).toEqual({
      stdout: '',
      stderr: `${file}:9: connectors[0].target.password: environment variable GATEHOUSE_TEST_PG_PASSWORD is not set\n`,
      code: 1,
    });
  });

  it('reports unset secrets in the same run as schema errors', async () => {
    const file = join(dir, 'both.yaml');
    writeFileSync(file, good.replace('port: 5432', 'port: five'));
    const result = await run('-c', file);
    expect(result.stderr).toBe(
      [
        `${file}:9: connectors[0].target.port: expected number, got string`,
        `${file}:9: connectors[0].target.password: environment variable GATEHOUSE_TEST_PG_PASSWORD is not set`,
        '',
      ].join('\n'),
    );
  });

  it('reads ./gatehouse.yaml by default and names it when missing', async () => {
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      const result = await run();
      expect(result).toEqual({
        stdout: '',
        stderr: './gatehouse.yaml: cannot read config file (ENOENT)\n',
        code: 1,
      });
    } finally {
      process.chdir(cwd);
    }
  });

  it('accepts the example config (docs/policy.md) when its password variable is set', async () => {
    process.env['PG_PROD_PASSWORD'] = 'x';
    try {
      const result = await run(
        '-c',
        resolve(import.meta.dirname, '../../examples/spec-example.yaml'),
      );
      expect(result).toEqual({ stdout: 'ok: 1 connector, 1 issuer\n', stderr: '', code: 0 });
    } finally {
      delete process.env['PG_PROD_PASSWORD'];
    }
  });
});
