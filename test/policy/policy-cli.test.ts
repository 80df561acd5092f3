import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPolicyTest } from '../../src/cli/commands/policy.js';
import { runCli } from '../helpers/cli.js';

const SPEC = 'examples/spec-example.yaml';

const WEEKEND_FREEZE = `identity:
  issuers:
    - name: dev
      dev: true
reviews: { approvers: [dba] }
connectors:
  - name: pg
    type: postgres
    listen: 127.0.0.1:0
    target: { host: 127.0.0.1, port: 5432, database: app }
    access: { groups: ["*"] }
    rules:
      - name: weekend-freeze
        when: { statement: [write], time: { days: [sat, sun], tz: Europe/Paris } }
        action: deny
      - name: typo
        when: { statement: [drop_tables] }
        action: deny
  - name: pg2
    type: postgres
    listen: 127.0.0.1:1
    target: { host: 127.0.0.1, port: 5432 }
    access: { groups: ["*"] }
`;

/** A connector type this build has no module for. */
const MONGO = `  - name: mongo
    type: mongodb
    listen: 127.0.0.1:2
    target: { host: 127.0.0.1, port: 27017 }
    access: { groups: ["*"] }
`;

function capture() {
  const out = { stdout: '', stderr: '' };
  return {
    out,
    output: {
      stdout: (text: string) => {
        out.stdout += text;
      },
      stderr: (text: string) => {
        out.stderr += text;
      },
    },
  };
}

describe('gatehouse policy test (the bin, as a process)', () => {
  it('prints the decision, the rule and the classes, and exits 0', async () => {
    const result = await runCli([
      'policy',
      'test',
      '-c',
      SPEC,
      'pg-prod',
      '--as',
      'agent-7',
      '--groups',
      'agents',
      '--agent',
      'BEGIN; DROP TABLE users; COMMIT',
    ]);
    expect(result, result.stderr).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toContain('decision: review\n');
    expect(result.stdout).toContain('rule:     destructive-changes-need-a-dba\n');
    expect(result.stdout).toContain(
      'reason:   rule "destructive-changes-need-a-dba": DROP TABLE requires review by dba\n',
    );
    expect(result.stdout).toContain('review:   approvers dba, 1 approval, timeout 1h, wait 5m\n');
    expect(result.stdout).toMatch(/^classes: {2}transaction, drop, ddl, write, drop_table$/m);
  });

  it('names the connector default when no rule matches, and prints JSON on request', async () => {
    const result = await runCli([
      'policy',
      'test',
      '-c',
      SPEC,
      'pg-prod',
      '--as',
      'bob',
      '--json',
      'DELETE FROM t',
    ]);
    expect(result, result.stderr).toMatchObject({ code: 0 });
    const json = JSON.parse(result.stdout);
    expect(json.decision).toEqual({
      action: 'allow',
      reason: 'no rule matched; connector "pg-prod" default is allow',
    });
    expect(json.command).toMatchObject({
      classes: ['delete', 'write'],
      attributes: { where: 'absent' },
      target: { database: 'app' },
    });
    expect(
      json.evaluated.find((e: { rule: string }) => e.rule === 'unbounded-writes-need-review'),
    ).toEqual({
      rule: 'unbounded-writes-need-review',
      action: 'review',
      matched: false,
      unmet: ['agent: identity is not an agent'],
    });
  });
});

describe('runPolicyTest', () => {
  let dir = '';
  let config = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-policy-'));
    config = join(dir, 'gatehouse.yaml');
    await writeFile(config, WEEKEND_FREEZE);
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const base = { connector: 'pg', subject: 'alice', groups: [], agent: false };

  it('evaluates time windows at --at, and warns about rules that can never match', async () => {
    const { out, output } = capture();
    const saturday = Date.parse('2024-06-08T12:00:00Z');
    const code = await runPolicyTest(
      { ...base, config, text: 'UPDATE t SET x = 1 WHERE id = 1', at: saturday },
      output,
    );
    expect(code).toBe(0);
    expect(out.stdout).toContain('decision: deny\nrule:     weekend-freeze\n');
    expect(out.stderr).toBe(
      'warning: connectors[0].rules[1].when.statement[0]: unknown statement class "drop_tables"\n',
    );
    const monday = capture();
    await runPolicyTest(
      { ...base, config, text: 'UPDATE t SET x = 1 WHERE id = 1', at: saturday + 2 * 86_400_000 },
      monday.output,
    );
    expect(monday.out.stdout).toContain('decision: allow\n');
  });

  it('refuses connector types this build has no module for, and unknown connectors', async () => {
    const withMongo = join(dir, 'mongo.yaml');
    await writeFile(withMongo, WEEKEND_FREEZE + MONGO);
    const mongo = capture();
    expect(
      await runPolicyTest(
        { ...base, config: withMongo, connector: 'mongo', text: 'db.t.find()' },
        mongo.output,
      ),
    ).toBe(1);
    expect(mongo.out.stderr).toMatch(
      /connectors\[2\]\.type: unknown connector type "mongodb" \(available: postgres, kubernetes, ssh\)/,
    );
    const missing = capture();
    expect(
      await runPolicyTest({ ...base, config, connector: 'nope', text: 'select 1' }, missing.output),
    ).toBe(1);
    expect(missing.out.stderr).toBe('gatehouse: no connector "nope" (configured: pg, pg2)\n');
  });

  it('lists config errors by key path and exits 1', async () => {
    const broken = join(dir, 'broken.yaml');
    await writeFile(broken, WEEKEND_FREEZE.replace('action: deny', 'action: maybe'));
    const { out, output } = capture();
    expect(await runPolicyTest({ ...base, config: broken, text: 'select 1' }, output)).toBe(1);
    expect(out.stderr).toMatch(/connectors\[0\]\.rules\[0\]\.action/);
  });

  it('uses --database for database conditions', async () => {
    const scoped = join(dir, 'scoped.yaml');
    await writeFile(
      scoped,
      WEEKEND_FREEZE.replace(
        'when: { statement: [write], time: { days: [sat, sun], tz: Europe/Paris } }',
        'when: { database: [billing] }',
      ),
    );
    const inApp = capture();
    await runPolicyTest({ ...base, config: scoped, text: 'select 1' }, inApp.output);
    expect(inApp.out.stdout).toContain('decision: allow\n');
    const inBilling = capture();
    await runPolicyTest(
      { ...base, config: scoped, text: 'select 1', database: 'billing' },
      inBilling.output,
    );
    expect(inBilling.out.stdout).toContain('decision: deny\n');
  });
});
