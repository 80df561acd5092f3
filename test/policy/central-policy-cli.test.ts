import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { unifiedDiff } from '../../src/cli/commands/policy-versions.js';
import { parseConfig } from '../../src/connectors/registry.js';
import { ApiClient } from '../approvals/flow-helpers.js';
import { runCli } from '../helpers/cli.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { createDatabase, type TestDatabase } from '../helpers/pg-db.js';
import { requirePostgres } from '../helpers/services.js';

const DENY_WRITES = `connectors:
  - name: pg
    default: allow
    rules:
      - name: no-writes
        when: { statement: [write] }
        action: deny
        reason: frozen
`;

const DENY_WRITES_AND_DROPS = `connectors:
  - name: pg
    default: allow
    rules:
      - name: no-writes
        when: { statement: [write] }
        action: deny
        reason: frozen
      - name: no-drops
        when: { statement: [drop] }
        action: deny
`;

const INVALID = `connectors:
  - name: pg
    rules:
      - name: typo
        when: { statement: [writes] }
        action: deny
`;

/**
 * `gatehouse policy apply|history|diff|rollback|export` against a real gateway (SQLite store:
 * versions reach live sessions in-process), as a user or a CI job runs them.
 */
describe.runIf(await requirePostgres())('gatehouse policy (central versions) CLI', () => {
  let target: TestDatabase;
  let gateway: TestGateway;
  let dir: string;
  let session: pg.Client;

  const file = async (name: string, text: string) => {
    const path = join(dir, name);
    await writeFile(path, text);
    return path;
  };

  const cli = async (subject: string, groups: string[], args: string[]) =>
    runCli([
      'policy',
      ...args,
      '-c',
      gateway.configFile,
      '--api-url',
      gateway.gateway.apiUrl,
      '--token',
      await gateway.token(subject, { groups }),
    ]);
  const editor = (...args: string[]) => cli('erin', ['policy-admins'], args);

  const writeDenied = async () =>
    session.query('CREATE TABLE IF NOT EXISTS t (id int)').then(
      () => false,
      (err: pg.DatabaseError) => err.code === '42501',
    );

  const reload = (policy: Record<string, unknown>) => {
    const raw = parse(gateway.configText) as Record<string, unknown>;
    raw['policy'] = policy;
    gateway.gateway.reload(parseConfig(JSON.stringify(raw), gateway.configFile));
  };

  beforeAll(async () => {
    target = await createDatabase('gh_cpol_cli');
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-cpol-cli-'));
    gateway = await startTestGateway({
      database: target.name,
      configure: (raw) => {
        raw['reviews'] = { approvers: ['dba'] };
        raw['policy'] = { editors: ['policy-admins'] };
      },
    });
    session = new pg.Client(
      await gateway.clientConfig('agent-1', { groups: ['agents'], agent: true }),
    );
    session.on('error', () => undefined);
    await session.connect();
  }, 60_000);

  afterAll(async () => {
    await session?.end().catch(() => undefined);
    await gateway?.close();
    await target?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 60_000);

  it('apply writes a version that live sessions meet at their next command', async () => {
    expect(await writeDenied()).toBe(false);
    const result = await editor(
      'apply',
      '-f',
      await file('v1.yaml', DENY_WRITES),
      '--reason',
      'freeze',
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('applied: policy version 1');
    expect(await writeDenied()).toBe(true);

    const again = await editor('apply', '-f', join(dir, 'v1.yaml'));
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('unchanged: policy version 1');
  });

  it('apply refuses an invalid document with FILE:LINE: key path, and the old one stays', async () => {
    const path = await file('bad.yaml', INVALID);
    const result = await editor('apply', '-f', path);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${path}:5: connectors[0].rules[0].when.statement[0]:`);
    expect(await writeDenied()).toBe(true);

    const outsider = await cli('mallory', ['agents'], ['apply', '-f', join(dir, 'v1.yaml')]);
    expect(outsider.code).toBe(1);
    expect(outsider.stderr).toContain('access_denied');
  });

  it('history, diff, export and rollback', async () => {
    const v2 = await editor(
      'apply',
      '-f',
      await file('v2.yaml', DENY_WRITES_AND_DROPS),
      '--reason',
      'and drops',
    );
    expect(v2.code).toBe(0);
    expect(v2.stdout).toContain('applied: policy version 2');

    const history = await editor('history');
    expect(history.code).toBe(0);
    const lines = history.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^VERSION\s+WHEN\s+WHO\s+WHY$/);
    expect(lines[1]).toMatch(/^2\s+\S+\s+erin\s+and drops$/);
    expect(lines[2]).toMatch(/^1\s+\S+\s+erin\s+freeze$/);

    const diff = await editor('diff', '1', '2');
    expect(diff.code).toBe(0);
    expect(diff.stdout).toContain('--- policy version 1');
    expect(diff.stdout).toContain('+++ policy version 2');
    expect(diff.stdout).toMatch(/^\+\s+- name: no-drops$/m);
    expect(diff.stdout).not.toMatch(/^-\s/m);

    const exported = await editor('export');
    expect(exported.code).toBe(0);
    expect(parse(exported.stdout)).toEqual(parse(DENY_WRITES_AND_DROPS));
    const first = await editor('export', '--version', '1');
    expect(parse(first.stdout)).toEqual(parse(DENY_WRITES));

    // Round trip: the exported document applies as is (unchanged: it is the current one).
    const roundTrip = await editor('apply', '-f', await file('exported.yaml', exported.stdout));
    expect(roundTrip.stdout).toContain('unchanged: policy version 2');

    const rollback = await editor('rollback', '1', '--reason', 'drops are fine');
    expect(rollback.code).toBe(0);
    expect(rollback.stdout).toContain('applied: policy version 3');
    expect(parse((await editor('export')).stdout)).toEqual(parse(DENY_WRITES));
    expect((await editor('history')).stdout).toContain('drops are fine');
  }, 90_000);

  it('a change that needs review waits for the decision: 0 approved, 2 denied, 3 timed out', async () => {
    reload({ editors: ['policy-admins'], review: { approvers: ['security'] } });
    try {
      const reviewer = new ApiClient(
        gateway.gateway.apiUrl,
        await gateway.token('dave', { groups: ['security'] }),
      );
      const path = await file('v4.yaml', DENY_WRITES_AND_DROPS);
      const approved = editor('apply', '-f', path, '--reason', 'drops again');
      const ticket = await reviewer.waitForTicket(await normalised(path));
      await reviewer.decide(ticket.id, 'approve');
      const result = await approved;
      expect(result.stderr).toContain(`held for review: ticket ${ticket.id}`);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('applied: policy version 4');

      const denied = editor('rollback', '1');
      const second = await reviewer.waitForTicket(await normalised(join(dir, 'v1.yaml')));
      await reviewer.decide(second.id, 'deny', { rationale: 'keep drops closed' });
      const refused = await denied;
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain('keep drops closed');

      const timedOut = await editor(
        'apply',
        '-f',
        await file('v5.yaml', INVALID.replace('writes', 'read')),
        '--wait',
        '1s',
      );
      expect(timedOut.code).toBe(3);
      expect(timedOut.stderr).toContain('held for review');
      expect(timedOut.stderr).toContain('no decision within 1s');
    } finally {
      reload({ editors: ['policy-admins'] });
    }
  }, 90_000);

  it("a version's masking rules mask results (in sessions opened after it, as on SIGHUP)", async () => {
    const email = async () => {
      const client = new pg.Client(await gateway.clientConfig('dev-1', { groups: ['dev'] }));
      await client.connect();
      try {
        return (await client.query("SELECT 'alice@example.com' AS email")).rows[0].email as string;
      } finally {
        await client.end();
      }
    };
    expect(await email()).toBe('alice@example.com');
    const masked = await editor(
      'apply',
      '-f',
      await file(
        'masking.yaml',
        'connectors:\n  - name: pg\n    masking:\n      - { detectors: [email], strategy: redact }\n',
      ),
    );
    expect(masked.code, masked.stderr).toBe(0);
    expect(await email()).not.toContain('alice@example.com');

    const path = await file(
      'bad-masking.yaml',
      'connectors:\n  - name: pg\n    masking:\n      - { detectors: [emial], strategy: redact }\n',
    );
    const refused = await editor('apply', '-f', path);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`${path}:4: connectors[0].masking[0].detectors[0]:`);
  }, 60_000);

  /** The document as the gateway stores it (the ticket's command text). */
  async function normalised(path: string): Promise<string> {
    const data = parse(await readFile(path, 'utf8')) as { connectors: unknown[] };
    return stringify({ connectors: data.connectors });
  }
});

describe('unifiedDiff', () => {
  it('shows changed lines with context and hunk headers', () => {
    const a = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'].join('\n');
    const b = ['a', 'b', 'c', 'D', 'e', 'f', 'g', 'h', 'i', 'j', 'k'].join('\n');
    expect(unifiedDiff(a, b, 'one', 'two')).toBe(
      [
        '--- one',
        '+++ two',
        '@@ -1,10 +1,11 @@',
        ' a',
        ' b',
        ' c',
        '-d',
        '+D',
        ' e',
        ' f',
        ' g',
        ' h',
        ' i',
        ' j',
        '+k',
        '',
      ].join('\n'),
    );
    expect(unifiedDiff('x\n', 'x\n', 'one', 'two')).toBe('(the documents are identical)\n');
  });
});
