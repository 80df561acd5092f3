import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { postgresConfig } from '../../src/connectors/postgres/target/config.js';
import {
  ConfigError,
  type ConfigIssue,
  loadConfig,
  parseConfig,
} from '../../src/connectors/registry.js';

const specExample = resolve(import.meta.dirname, '../../examples/spec-example.yaml');
const dir = mkdtempSync(join(tmpdir(), 'gatehouse-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function issuesOf(run: () => unknown): ConfigIssue[] {
  try {
    run();
  } catch (err) {
    if (err instanceof ConfigError) return [...err.issues];
    throw err;
  }
  throw new Error('expected a ConfigError');
}

async function asyncIssuesOf(run: () => Promise<unknown>): Promise<ConfigIssue[]> {
  try {
    await run();
  } catch (err) {
    if (err instanceof ConfigError) return [...err.issues];
    throw err;
  }
  throw new Error('expected a ConfigError');
}

const minimal = `identity:
  issuers:
    - { name: dev, dev: true }
`;

describe('the example config (docs/policy.md)', () => {
  it('loads as written', async () => {
    const config = await loadConfig(specExample, { env: { PG_PROD_PASSWORD: 'x' } });
    expect(config.store.url).toBe(
      `sqlite:${resolve(import.meta.dirname, '../../examples/.gatehouse/gatehouse.db')}`,
    );
    expect(config.server.api).toEqual({
      listen: { host: '127.0.0.1', port: 8080 },
      public_url: 'http://127.0.0.1:8080',
    });
    expect(config.identity.issuers[0]).toMatchObject({
      name: 'entra',
      kind: 'entra',
      audience: 'api://gatehouse',
    });
    const [pg] = config.connectors;
    expect(pg).toMatchObject({
      name: 'pg-prod',
      type: 'postgres',
      listen: { host: '127.0.0.1', port: 15432 },
      target: {
        host: '127.0.0.1',
        port: 5432,
        password: { env: 'PG_PROD_PASSWORD' },
        tls: 'disable',
      },
      default: 'allow',
    });
    expect(pg!.rules.map((r) => [r.name, r.action])).toEqual([
      ['no-dropping-databases', 'deny'],
      ['destructive-changes-need-a-dba', 'review'],
      ['unbounded-writes-need-review', 'review'],
    ]);
    expect(pg!.rules[1]!.review).toEqual({
      approvers: ['dba'],
      approvals: 1,
      timeout: 3_600_000,
      wait: 300_000,
    });
    expect(pg!.rules[2]!.when).toEqual({
      statement: ['delete', 'update'],
      where: 'absent',
      agent: true,
    });
    expect(pg!.masking[1]).toEqual({
      detectors: ['email', 'payment_card', 'jwt'],
      strategy: 'keep_last_4',
    });
    expect(config.audit.durability).toBe('strict');
  });

  it('fails to load when the password variable is unset, naming key path and line', async () => {
    const issues = await asyncIssuesOf(() => loadConfig(specExample, { env: {} }));
    expect(issues).toEqual([
      {
        path: 'connectors[0].target.password',
        line: 20,
        column: 17,
        message: 'environment variable PG_PROD_PASSWORD is not set',
      },
    ]);
  });

  it('parses without reading anything when references are not checked', () => {
    const config = parseConfig(readFileSync(specExample, 'utf8'), specExample);
    expect(config.connectors).toHaveLength(1);
  });
});

describe('every error, with key path and line', () => {
  const text = `server:
  api: { listen: 127.0.0.1:8080, colour: blue }
identity:
  issuers:
    - name: corp
      kind: entra
      audience: api://gatehouse
connectors:
  - name: pg
    type: postgres
    listen: 127.0.0.1:15432
    target: { host: db, port: "5432", password: hunter2 }
    access: { groups: [dba] }
    rules:
      - name: one
        when: { statment: [drop_table] }
        action: deny
      - name: two
        action: block
        review: { timeout: soon }
unknown_top: 1
`;

  it('reports all of them, sorted by line', () => {
    expect(issuesOf(() => parseConfig(text, 'bad.yaml'))).toEqual([
      { path: 'server.api.colour', line: 2, column: 34, message: 'unknown key "colour"' },
      { path: 'identity.issuers[0].issuer', line: 5, column: 7, message: 'issuer URL is required' },
      {
        path: 'connectors[0].target.port',
        line: 12,
        column: 31,
        message: 'expected number, got string',
      },
      {
        path: 'connectors[0].target.password',
        line: 12,
        column: 49,
        message: 'a secret is {env: NAME} or {file: PATH}',
      },
      {
        path: 'connectors[0].rules[0].when.statment',
        line: 16,
        column: 17,
        message: 'unknown key "statment"',
      },
      {
        path: 'connectors[0].rules[1].action',
        line: 19,
        column: 17,
        message: 'must be one of: allow, deny, review',
      },
      {
        path: 'connectors[0].rules[1].review.timeout',
        line: 20,
        column: 28,
        message: 'invalid duration "soon" (use e.g. 30s, 5m, 1h)',
      },
      { path: 'unknown_top', line: 21, column: 1, message: 'unknown key "unknown_top"' },
    ]);
  });

  it('never echoes an inline secret', () => {
    try {
      parseConfig(text, 'bad.yaml');
    } catch (err) {
      expect(String((err as Error).message)).not.toContain('hunter2');
      expect((err as Error).message).toContain(
        'bad.yaml:12: connectors[0].target.password: a secret is',
      );
    }
  });

  it('reports a missing required key at its parent', () => {
    const issues = issuesOf(() =>
      parseConfig(`${minimal}connectors:\n  - name: x\n    type: postgres\n`, 'c.yaml'),
    );
    expect(issues.map((i) => `${i.line}: ${i.path}: ${i.message}`)).toEqual([
      '5: connectors[0].listen: required',
      '5: connectors[0].target: required',
      '5: connectors[0].access: required',
    ]);
  });

  it('follows anchors and aliases to the line of the anchored value', () => {
    const issues = issuesOf(() =>
      parseConfig(
        `${minimal}x-target: &t { host: db, port: 99999 }\nconnectors:\n  - { name: a, type: postgres, listen: ":1", target: *t, access: { groups: [g] } }\n`,
        'a.yaml',
      ),
    );
    expect(issues).toContainEqual({
      path: 'connectors[0].target.port',
      line: 4,
      column: 32,
      message: expect.stringMatching(/too big|<=/i),
    });
    expect(issues).toContainEqual({
      path: 'x-target',
      line: 4,
      column: 1,
      message: 'unknown key "x-target"',
    });
  });
});

describe('YAML problems', () => {
  it('reports syntax errors with their line', () => {
    expect(
      issuesOf(() => parseConfig('identity:\n  issuers: [\n    - a\n', 's.yaml'))[0],
    ).toMatchObject({
      path: '',
      line: expect.any(Number),
      message: expect.stringMatching(/^YAML syntax: /),
    });
    expect(issuesOf(() => parseConfig('store: {}\nstore: {}\n', 'd.yaml'))).toEqual([
      { path: '', line: 2, column: 1, message: 'YAML syntax: Map keys must be unique' },
    ]);
  });

  it('refuses an empty file and an alias bomb', () => {
    expect(issuesOf(() => parseConfig('# nothing\n', 'e.yaml'))).toEqual([
      { path: '', line: 1, message: 'config is empty' },
    ]);
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 0; i < 8; i++)
      bomb.push(
        `${'bcdefghi'[i]}: &${'bcdefghi'[i]} [${Array(10).fill(`*${'abcdefgh'[i]}`).join(', ')}]`,
      );
    expect(issuesOf(() => parseConfig(bomb.join('\n'), 'bomb.yaml'))[0]!.message).toMatch(
      /^YAML: .*alias/i,
    );
  });

  it('reports a document that is not a mapping', () => {
    expect(issuesOf(() => parseConfig('- a\n- b\n', 'l.yaml'))).toEqual([
      { path: '', line: 1, column: 1, message: 'expected object, got list' },
    ]);
  });
});

describe('loadConfig and the file system', () => {
  it('names an unreadable config file', async () => {
    const missing = join(dir, 'nope.yaml');
    await expect(asyncIssuesOf(() => loadConfig(missing))).resolves.toEqual([
      { path: '', message: 'cannot read config file (ENOENT)' },
    ]);
  });

  it('resolves relative paths against the config file, not the working directory', async () => {
    const confDir = join(dir, 'conf');
    mkdirSync(join(confDir, 'tls'), { recursive: true });
    writeFileSync(join(confDir, 'tls', 'cert.pem'), 'cert');
    writeFileSync(join(confDir, 'tls', 'key.pem'), 'key');
    writeFileSync(join(confDir, 'pg-password'), 'pw\n');
    writeFileSync(
      join(confDir, 'gatehouse.yaml'),
      `server: { tls: { cert: tls/cert.pem, key: ./tls/key.pem } }
store: { url: "sqlite:data/g.db" }
identity:
  issuers:
    - { name: dev, dev: true, key_file: keys/dev.jwk }
connectors:
  - name: pg
    type: postgres
    listen: 127.0.0.1:15432
    target: { host: db, port: 5432, password: { file: pg-password }, tls: { mode: verify-full, ca: /etc/ssl/certs } }
    access: { groups: ["*"] }
`,
    );
    const config = await loadConfig(join(confDir, 'gatehouse.yaml'));
    expect(config.server.tls).toEqual({
      cert: join(confDir, 'tls/cert.pem'),
      key: join(confDir, 'tls/key.pem'),
    });
    expect(config.store.url).toBe(`sqlite:${join(confDir, 'data/g.db')}`);
    expect(config.identity.issuers[0]!.key_file).toBe(join(confDir, 'keys/dev.jwk'));
    const target = postgresConfig(config.connectors[0]!).target;
    expect(target.password).toEqual({ file: join(confDir, 'pg-password') });
    expect(target.tls).toEqual({ mode: 'verify-full', ca: '/etc/ssl/certs' });
  });

  it('reports unreadable TLS files and secret files by key path', async () => {
    const path = join(dir, 'refs.yaml');
    writeFileSync(
      path,
      `${minimal}server:\n  tls: { cert: missing-cert.pem, key: missing-key.pem }\nmasking: { hash_key: { file: missing-key } }\nstore: { url: "sqlite::memory:" }\n`,
    );
    const issues = await asyncIssuesOf(() => loadConfig(path));
    expect(issues.map((i) => `${i.line}: ${i.path}: ${i.message}`)).toEqual([
      `5: server.tls.cert: cannot read ${join(dir, 'missing-cert.pem')} (ENOENT)`,
      `5: server.tls.key: cannot read ${join(dir, 'missing-key.pem')} (ENOENT)`,
      `6: masking.hash_key: cannot read secret file ${join(dir, 'missing-key')} (ENOENT)`,
    ]);
  });
});
