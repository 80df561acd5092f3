import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { verifyChain } from '../../src/audit/read/chain-verify.js';
import { parseConfig } from '../../src/connectors/registry.js';
import { ApiClient, type TicketJson } from '../approvals/flow-helpers.js';
import { runCli } from '../helpers/cli.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { createDatabase, type TestDatabase } from '../helpers/pg-db.js';
import { requirePostgres } from '../helpers/services.js';

interface VersionJson {
  version: number;
  createdAt: string;
  author: { issuer: string; subject: string; name?: string };
  reason?: string;
  ticketId?: string;
  digest: string;
  document?: string;
}
interface SubmitJson {
  changed?: boolean;
  version?: VersionJson;
  status?: string;
  ticket?: TicketJson;
  error?: string;
  message?: string;
  issues?: Array<{ path: string; line?: number; message: string }>;
}

const YAML_RULES = [
  { name: 'no-drops', when: { statement: ['drop'] }, action: 'deny', reason: 'from YAML' },
];

/** Agents may not read: a document in the config's own shape (extra keys are ignored). */
const DENY_READS = `# central policy, kept in Git
connectors:
  - name: pg
    type: postgres            # ignored: only name, default, rules and masking are read
    default: allow
    rules:
      - name: agents-may-not-read
        when: { statement: [read], agent: true }
        action: deny
        reason: reads are closed for agents
`;

const INVALID = `connectors:
  - name: pg
    rules:
      - name: typo-in-class
        when: { statement: [selec] }
        action: deny
      - name: review-on-allow
        action: allow
        review: { approvers: [dba] }
  - name: nope
    rules: []
`;

const MALFORMED = `connectors:
  - name: pg
    rules:
      - name: bad-action
        action: permit
        whn: {}
`;

const ALLOW_ALL = `connectors:
  - name: pg
    default: allow
    rules: []
`;

/**
 * Central policy across two gateways sharing one PostgreSQL store (docs/policy.md, "Central
 * policy"): a version applied through one replica is enforced by live sessions on the other at
 * their next command, an invalid one is refused, a change can need review, rollback, history and
 * the audit chain.
 */
describe.runIf(await requirePostgres())('central policy on two replicas', () => {
  let target: TestDatabase;
  let storeDb: TestDatabase;
  let keyDir: string;
  let a: TestGateway;
  let b: TestGateway;
  const clients: pg.Client[] = [];

  const configure = (raw: Record<string, unknown>) => {
    const identity = raw['identity'] as { issuers: Array<Record<string, unknown>> };
    identity.issuers[0]!['key_file'] = join(keyDir, 'dev.key');
    raw['reviews'] = { approvers: ['dba'] };
    raw['policy'] = { editors: ['policy-admins'] };
  };

  const api = async (gateway: TestGateway, subject: string, groups: string[]) =>
    new ApiClient(gateway.gateway.apiUrl, await gateway.token(subject, { groups }));

  async function agentSession(gateway: TestGateway): Promise<pg.Client> {
    const client = new pg.Client(
      await gateway.clientConfig('agent-1', { groups: ['agents'], agent: true }),
    );
    client.on('error', () => undefined);
    await client.connect();
    clients.push(client);
    return client;
  }

  const denied = async (client: pg.Client, sql = 'SELECT 1 AS one') => {
    const error = await client.query(sql).then(
      () => undefined,
      (err: pg.DatabaseError) => err,
    );
    return error?.code === '42501' ? `${error.message} ${error.detail ?? ''}` : undefined;
  };

  /** Reloads both gateways with the YAML changed by `change` (what SIGHUP does). */
  const reloadBoth = (change: (raw: Record<string, unknown>) => void) => {
    for (const gateway of [a, b]) {
      const raw = parse(gateway.configText) as Record<string, unknown>;
      change(raw);
      gateway.gateway.reload(parseConfig(JSON.stringify(raw), gateway.configFile));
    }
  };

  beforeAll(async () => {
    target = await createDatabase('gh_cpol_target');
    storeDb = await createDatabase('gh_cpol_store');
    keyDir = await mkdtemp(join(tmpdir(), 'gatehouse-cpol-'));
    const options = { database: target.name, store: storeDb.url, rules: YAML_RULES, configure };
    a = await startTestGateway(options);
    b = await startTestGateway(options);
  }, 60_000);

  afterAll(async () => {
    for (const client of clients) await client.end().catch(() => undefined);
    await a?.close();
    await b?.close();
    await storeDb?.drop();
    await target?.drop();
    if (keyDir) await rm(keyDir, { recursive: true, force: true });
  }, 60_000);

  it('a version applied through B is enforced by a live session on A at its next command', async () => {
    const session = await agentSession(a);
    expect((await session.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    const editor = await api(b, 'erin', ['policy-admins']);

    const sentAt = performance.now();
    const answer = await editor.post<SubmitJson>('/api/policy', {
      document: DENY_READS,
      reason: 'close reads for agents',
    });
    const appliedAt = performance.now();
    expect(answer.status, JSON.stringify(answer.body)).toBe(201);
    const version = answer.body.version!;
    expect(version.version).toBe(1);
    expect(version.author.subject).toBe('erin');
    expect(version.reason).toBe('close reads for agents');
    // Stored without the ignored keys and comments: what `policy export` prints.
    expect(version.document).not.toContain('type:');
    expect(b.gateway.policyVersion()).toBe(1);

    while (a.gateway.policyVersion() < 1 && performance.now() - appliedAt < 5000)
      await new Promise((resolve) => setTimeout(resolve, 2));
    const enforcedAt = performance.now();
    const delay = enforcedAt - appliedAt;
    console.log(
      `central policy: version 1 in force on replica A ${(enforcedAt - sentAt).toFixed(1)} ms after the request to B was sent`,
    );
    console.log(
      `central policy: version 1 in force on replica A ${delay.toFixed(1)} ms after B answered 201`,
    );
    expect(a.gateway.policyVersion()).toBe(1);
    expect(delay).toBeLessThan(1000);

    // The session opened before the change: its next command meets the new rule.
    expect(await denied(session)).toContain('agents-may-not-read');
    // The YAML rules of the connector were replaced, not merged.
    const human = new pg.Client(await a.clientConfig('henry', { groups: ['dba'] }));
    await human.connect();
    clients.push(human);
    await human.query('CREATE TABLE t_drop (id int)');
    await human.query('DROP TABLE t_drop');
  });

  it('refuses an invalid document with key paths and lines; the old version stays in force', async () => {
    const editor = await api(a, 'erin', ['policy-admins']);
    const answer = await editor.post<SubmitJson>('/api/policy', { document: INVALID });
    expect(answer.status).toBe(400);
    const issues = answer.body.issues!;
    const byPath = Object.fromEntries(issues.map((i) => [i.path, i]));
    expect(byPath['connectors[0].rules[0].when.statement[0]']?.line).toBe(5);
    expect(byPath['connectors[0].rules[0].when.statement[0]']?.message).toContain('selec');
    expect(byPath['connectors[0].rules[1].review']).toMatchObject({ line: 9 });
    expect(byPath['connectors[1].name']).toMatchObject({ line: 10 });
    expect(byPath['connectors[1].name']?.message).toContain('no connector "nope"');

    const malformed = await editor.post<SubmitJson>('/api/policy', { document: MALFORMED });
    expect(malformed.status).toBe(400);
    expect(malformed.body.issues).toEqual([
      expect.objectContaining({ path: 'connectors[0].rules[0].action', line: 5 }),
      expect.objectContaining({ path: 'connectors[0].rules[0].whn', line: 6 }),
    ]);
    const broken = await editor.post<SubmitJson>('/api/policy', { document: 'connectors: [' });
    expect(broken.status).toBe(400);
    expect(broken.body.issues![0]!.message).toContain('YAML syntax');

    const current = await editor.get<VersionJson>('/api/policy');
    expect(current.body.version).toBe(1);
    for (const gateway of [a, b]) expect(gateway.gateway.policyVersion()).toBe(1);
    expect(await denied(await agentSession(b))).toContain('agents-may-not-read');
  });

  it('only editors apply; the same document again changes nothing', async () => {
    const outsider = await api(a, 'mallory', ['agents']);
    const refused = await outsider.post<SubmitJson>('/api/policy', { document: ALLOW_ALL });
    expect(refused.status).toBe(403);
    const editor = await api(a, 'erin', ['policy-admins']);
    const again = await editor.post<SubmitJson>('/api/policy', { document: DENY_READS });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ changed: false, version: { version: 1 } });
  });

  it('a change that needs review is held, not approvable by its requester, applied once approved', async () => {
    reloadBoth((raw) => {
      raw['policy'] = { editors: ['policy-admins'], review: { approvers: ['security'] } };
    });
    // SIGHUP keeps the store's version on top of the reloaded YAML.
    const session = await agentSession(a);
    expect(await denied(session)).toContain('agents-may-not-read');

    const requester = await api(b, 'carol', ['policy-admins', 'security']);
    const held = await requester.post<SubmitJson>('/api/policy', {
      document: ALLOW_ALL,
      reason: 'reopen reads',
    });
    expect(held.status, JSON.stringify(held.body)).toBe(202);
    const ticket = held.body.ticket!;
    expect(ticket).toMatchObject({
      connector: 'policy',
      status: 'pending',
      reason: 'reopen reads',
    });
    expect(ticket.approvers).toEqual(['security']);
    expect(ticket.command).toContain('connectors:');

    // The identical request attaches to the same ticket.
    const retry = await requester.post<SubmitJson>('/api/policy', { document: ALLOW_ALL });
    expect(retry.status).toBe(202);
    expect(retry.body.ticket!.id).toBe(ticket.id);
    // Requesters never approve their own.
    const own = await requester.post(`/api/approvals/${ticket.id}/approve`, {});
    expect(own.status).toBe(403);
    expect(b.gateway.policyVersion()).toBe(1);
    expect(await denied(session)).toContain('agents-may-not-read');

    const reviewer = await api(a, 'dave', ['security']);
    await reviewer.decide(ticket.id, 'approve', { rationale: 'ok' });
    const applied = await requester.post<SubmitJson>('/api/policy', { document: ALLOW_ALL });
    expect(applied.status, JSON.stringify(applied.body)).toBe(201);
    expect(applied.body.version).toMatchObject({ version: 2, ticketId: ticket.id });
    while (a.gateway.policyVersion() < 2) await new Promise((resolve) => setTimeout(resolve, 5));
    expect((await session.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);

    // A denied change is refused with 403 (and stays refused while its ticket lasts).
    const change = DENY_READS.replace('reads are closed', 'closed again');
    const second = await requester.post<SubmitJson>('/api/policy', { document: change });
    expect(second.status).toBe(202);
    await reviewer.decide(second.body.ticket!.id, 'deny', { rationale: 'no' });
    const refused = await requester.post<SubmitJson>('/api/policy', { document: change });
    expect(refused.status).toBe(403);
    expect(refused.body.message).toContain('no');

    reloadBoth((raw) => {
      raw['policy'] = { editors: ['policy-admins'] };
    });
  });

  it('rollback writes a new version with the earlier document', async () => {
    const editor = await api(b, 'erin', ['policy-admins']);
    const answer = await editor.post<SubmitJson>('/api/policy/rollback', { version: 1 });
    expect(answer.status, JSON.stringify(answer.body)).toBe(201);
    const first = await editor.get<VersionJson>('/api/policy/versions/1');
    expect(answer.body.version).toMatchObject({
      version: 3,
      reason: 'rollback to version 1',
      digest: first.body.digest,
      document: first.body.document,
    });
    while (a.gateway.policyVersion() < 3) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(await denied(await agentSession(a))).toContain('agents-may-not-read');
    const missing = await editor.post<SubmitJson>('/api/policy/rollback', { version: 99 });
    expect(missing.status).toBe(404);
  });

  it('history lists every version; each is a record of the verified audit chain', async () => {
    const reader = await api(a, 'dan', ['dba']);
    const history = await reader.get<VersionJson[]>('/api/policy/versions');
    expect(history.status).toBe(200);
    expect(history.body.map((v) => v.version)).toEqual([3, 2, 1]);
    expect(history.body.map((v) => v.author.subject)).toEqual(['erin', 'carol', 'erin']);
    expect(history.body[0]!.document).toBeUndefined();

    const report = await verifyChain(a.gateway.store.db);
    expect(report.ok, JSON.stringify(report.broken)).toBe(true);
    const records = await a.gateway.store.db
      .selectFrom('audit_events')
      .select(['data'])
      .where('kind', '=', 'policy_version')
      .orderBy('seq')
      .execute();
    const chained = records.map(
      (r) => JSON.parse(r.data) as { version: number; digest: string; previousDigest?: string },
    );
    expect(chained.map((r) => r.version)).toEqual([1, 2, 3]);
    const digests = [...history.body].reverse().map((v) => v.digest);
    expect(chained.map((r) => r.digest)).toEqual(digests);
    expect(chained[1]!.previousDigest).toBe(digests[0]);

    const openapi = (await (await fetch(`${a.gateway.apiUrl}/api/openapi.json`)).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    expect(Object.keys(openapi.paths)).toEqual(
      expect.arrayContaining([
        '/api/policy',
        '/api/policy/versions',
        '/api/policy/versions/{version}',
        '/api/policy/rollback',
      ]),
    );
    expect(Object.keys(openapi.paths['/api/policy']!)).toEqual(['get', 'post']);

    for (const gateway of [a, b]) {
      const metrics = await (await fetch(`${gateway.gateway.apiUrl}/metrics`)).text();
      expect(metrics).toMatch(/^gatehouse_policy_version 3$/m);
    }

    // The CLI reads the same chain off the shared store.
    const verify = await runCli(['audit', 'verify', '-c', a.configFile]);
    expect(verify.code, verify.stderr).toBe(0);
    const exported = await runCli(['audit', 'export', '-c', a.configFile, '--format', 'csv']);
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stdout).toContain(
      'policy version 3 (rollback to 1) by erin: rollback to version 1',
    );
    expect(exported.stdout).toContain('policy version 2 by carol: reopen reads');
  }, 60_000);

  it('a version row written behind the gateway (no matching audit record) is not enforced', async () => {
    const client = await storeDb.connect();
    try {
      const { rows } = await client.query(
        'select author, digest, audit_seq from policy_versions where version = 3',
      );
      // Version 2's document (allow all) forged as version 4, pointing at version 3's record.
      const { rows: two } = await client.query(
        'select document, digest from policy_versions where version = 2',
      );
      await client.query(
        'insert into policy_versions (version, created_at, author, document, digest, audit_seq) values (4, $1, $2, $3, $4, $5)',
        [Date.now(), rows[0].author, two[0].document, two[0].digest, rows[0].audit_seq],
      );
      await client.query("select pg_notify('gatehouse_policy', '4')");
    } finally {
      await client.end();
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    for (const gateway of [a, b]) expect(gateway.gateway.policyVersion()).toBe(3);
    expect(await denied(await agentSession(a))).toContain('agents-may-not-read');
  });

  it('the same document sent to both replicas at once is written once; later versions apply', async () => {
    const document = DENY_READS.replace('reads are closed for agents', 'closed, from two places');
    const answers = await Promise.all(
      [a, b].map(async (gateway) =>
        (await api(gateway, 'erin', ['policy-admins'])).post<SubmitJson>('/api/policy', {
          document,
        }),
      ),
    );
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 201]);
    expect(answers.map((answer) => answer.body.version!.version)).toEqual([5, 5]);
    for (const gateway of [a, b]) {
      while (gateway.gateway.policyVersion() < 5)
        await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(await denied(await agentSession(b))).toContain('closed, from two places');
  });
});
