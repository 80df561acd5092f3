import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getSession, listSessions } from '../../src/audit/read/session-queries.js';
import { runCli } from '../helpers/cli.js';
import { startTestGateway, type TestGateway, type TokenClaims } from '../helpers/gateway.js';
import { backendKey, sendCancelRequest } from '../helpers/pg-cancel.js';
import { createDatabase, type TestDatabase } from '../helpers/pg-db.js';
import { psql } from '../helpers/psql.js';
import { requireCommands, requirePostgres } from '../helpers/services.js';
import {
  ApiClient,
  clientConfigFile,
  rowCount,
  stillPending,
  type TicketJson,
  tableExists,
} from './flow-helpers.js';

/**
 * The ticket lifecycle (docs/approvals.md) through a real gateway (composition root, SQLite store,
 * dev issuer, real policy) in front of the machine's PostgreSQL: agents' commands are held,
 * reviewers decide over the REST API, and what did or did not happen is checked on the target
 * itself.
 */
const RULES = [
  {
    name: 'agents-drop-tables-with-a-dba',
    when: { statement: ['drop_table'], agent: true },
    action: 'review',
    review: { approvers: ['dba'], wait: '20s', timeout: '1h' },
  },
  {
    name: 'truncate-waits-briefly',
    when: { statement: ['truncate'] },
    action: 'review',
    review: { approvers: ['dba'], wait: '2s', timeout: '1h' },
  },
  {
    name: 'agents-update-with-a-grant',
    when: { statement: ['update'], agent: true },
    action: 'review',
    review: { approvers: ['dba'], grant: '1h', wait: '20s' },
  },
  {
    name: 'unbounded-deletes-need-two-dbas',
    when: { statement: ['delete'], where: 'absent' },
    action: 'review',
    review: { approvers: ['dba'], approvals: 2, wait: '20s' },
  },
];

const TABLES = [
  'flow_approve',
  'flow_deny',
  'flow_modify',
  'flow_timeout',
  'flow_disconnect',
  'flow_cancel',
  'flow_self',
  'flow_two',
  'flow_grant',
  'flow_cli',
  'flow_prepared',
  'flow_exec_ok',
  'flow_exec_deny',
  'flow_exec_wait',
  'flow_exec_retry',
];

const AGENT: TokenClaims = { groups: ['agents'], agent: true };

const ready = (await requirePostgres()) && requireCommands(['psql']);

describe.runIf(ready)('review flow through the gateway (docs/approvals.md)', () => {
  let db: TestDatabase;
  let gw: TestGateway;
  let alice: ApiClient;
  let bob: ApiClient;
  let mallory: ApiClient;
  let agentToken: string;
  const clients: pg.Client[] = [];

  /** A pg client connected through the gateway, collecting the notices it receives. */
  async function connect(subject = 'agent-1', claims = AGENT) {
    const client = new pg.Client(await gw.clientConfig(subject, claims));
    const notices: string[] = [];
    client.on('notice', (notice) => notices.push(notice.message ?? ''));
    client.on('error', () => undefined);
    await client.connect();
    clients.push(client);
    return { client, notices };
  }

  beforeAll(async () => {
    db = await createDatabase('gh_review_flow');
    await db.exec(
      TABLES.map(
        (t) => `create table ${t} (id int primary key); insert into ${t} values (1), (2), (3);`,
      ).join('\n'),
    );
    gw = await startTestGateway({ database: db.name, rules: RULES });
    const api = (token: string) => new ApiClient(gw.gateway.apiUrl, token);
    alice = api(await gw.token('alice', { groups: ['dba'] }));
    bob = api(await gw.token('bob', { groups: ['dba'] }));
    mallory = api(await gw.token('mallory', { groups: ['developers'] }));
    agentToken = await gw.token('agent-1', AGENT);
  });

  afterAll(async () => {
    for (const client of clients) await client.end().catch(() => undefined);
    await gw?.close();
    await db?.drop();
  });

  it('psql: DROP TABLE is held (the table stays), a notice names the ticket and URL, approval runs it', async () => {
    const run = psql(
      { host: gw.host, port: gw.port, user: 'agent-1', database: db.name, password: agentToken },
      'DROP TABLE flow_approve;\n',
    );
    const ticket = await alice.waitForTicket('DROP TABLE flow_approve;');
    expect(ticket).toMatchObject({
      status: 'pending',
      scope: 'command',
      rule: 'agents-drop-tables-with-a-dba',
      approvers: ['dba'],
      approvalsRequired: 1,
      requester: { subject: 'agent-1', agent: true },
      url: `${gw.gateway.apiUrl}/#/approvals/${ticket.id}`,
      viewer: { canDecide: true },
    });
    expect(await stillPending(run)).toBe(true);
    expect(await tableExists(db, 'flow_approve')).toBe(true);

    await alice.decide(ticket.id, 'approve', { rationale: 'cleanup approved' });
    const result = await run;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('DROP TABLE');
    expect(result.stderr).toMatch(/NOTICE/);
    expect(result.stderr).toContain(ticket.id);
    expect(result.stderr).toContain(ticket.url);
    expect(await tableExists(db, 'flow_approve')).toBe(false);

    const after = (await alice.get(`/api/approvals/${ticket.id}`)).body;
    expect(after).toMatchObject({ status: 'approved', viewer: { canDecide: false } });
    expect(after.usedAt).toBeDefined();
    expect(after.viewer.reason).toMatch(/is approved/);
    expect(after.decisions).toMatchObject([
      { reviewer: { subject: 'alice' }, action: 'approve', rationale: 'cleanup approved' },
    ]);
  });

  it('pg: deny answers SQLSTATE 42501 with ticket id and rationale; a retry gets the same denial', async () => {
    const { client, notices } = await connect();
    const held = client.query('DROP TABLE flow_deny').catch((err: pg.DatabaseError) => err);
    const ticket = await bob.waitForTicket('DROP TABLE flow_deny');
    expect(notices.join('\n')).toContain(ticket.id);

    const noReason = await bob.post(`/api/approvals/${ticket.id}/deny`, {});
    expect(noReason.status).toBe(400);
    await bob.decide(ticket.id, 'deny', { rationale: 'the reporting job still reads it' });
    const error = (await held) as pg.DatabaseError;
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe('42501');
    expect(error.message).toContain(ticket.id);
    expect(`${error.message}\n${error.detail}`).toContain('the reporting job still reads it');
    expect(await tableExists(db, 'flow_deny')).toBe(true);

    const again = (await client
      .query('DROP TABLE flow_deny')
      .catch((err: pg.DatabaseError) => err)) as pg.DatabaseError;
    expect(again.code).toBe('42501');
    expect(again.message).toContain(ticket.id);
    expect(await bob.ticketsFor('DROP TABLE flow_deny')).toHaveLength(1);
    expect(await tableExists(db, 'flow_deny')).toBe(true);
    // The session is still usable.
    expect((await client.query('SELECT count(*)::int AS n FROM flow_deny')).rows[0].n).toBe(3);
  });

  it('extended protocol: a prepared DROP is held at Execute and runs once approved', async () => {
    const { client, notices } = await connect();
    const held = client.query({ name: 'drop-prepared', text: 'DROP TABLE flow_prepared' });
    const ticket = await alice.waitForTicket('DROP TABLE flow_prepared');
    expect(notices.join('\n')).toContain(ticket.id);
    expect(await stillPending(held)).toBe(true);
    expect(await tableExists(db, 'flow_prepared')).toBe(true);
    await alice.decide(ticket.id, 'approve');
    expect((await held).command).toBe('DROP');
    expect(await tableExists(db, 'flow_prepared')).toBe(false);
  });

  it("modify runs the reviewer's command instead, and the ticket and command record keep both", async () => {
    const { client } = await connect();
    const held = client.query('DROP TABLE flow_modify');
    const ticket = await alice.waitForTicket('DROP TABLE flow_modify');
    const replacement = 'DELETE FROM flow_modify WHERE id = 1';
    await alice.decide(ticket.id, 'modify', {
      rationale: 'only the bad row',
      command: replacement,
    });

    const result = await held;
    expect(result.command).toBe('DELETE');
    expect(result.rowCount).toBe(1);
    expect(await tableExists(db, 'flow_modify')).toBe(true);
    expect(await rowCount(db, 'flow_modify')).toBe(2);

    const after = (await alice.get(`/api/approvals/${ticket.id}`)).body;
    expect(after).toMatchObject({
      status: 'modified',
      command: 'DROP TABLE flow_modify',
      executedCommand: replacement,
      decisions: [{ action: 'modify', command: replacement, rationale: 'only the bad row' }],
    });
    const command = await storedCommand(gw, 'DROP TABLE flow_modify', (c) => !!c.outcome);
    expect(command).toMatchObject({
      text: 'DROP TABLE flow_modify',
      executedText: replacement,
      ticketId: ticket.id,
      decision: { action: 'review', rule: 'agents-drop-tables-with-a-dba' },
      outcome: { tag: 'DELETE 1' },
    });
  });

  it('a rule wait shorter than the decision: timeout error with the ticket, which stays pending; the approved re-send runs once', async () => {
    const { client, notices } = await connect();
    const started = Date.now();
    const timedOut = (await client
      .query('TRUNCATE flow_timeout')
      .catch((err: pg.DatabaseError) => err)) as pg.DatabaseError;
    const waited = Date.now() - started;
    expect(timedOut).toBeInstanceOf(Error);
    expect(timedOut.code).toBe('57014');
    expect(waited).toBeGreaterThanOrEqual(1900);
    expect(waited).toBeLessThan(8000);
    const [ticket] = await alice.ticketsFor('TRUNCATE flow_timeout');
    expect(ticket).toMatchObject({ status: 'pending' });
    expect(timedOut.message).toContain(ticket!.id);
    expect(notices.join('\n')).toContain(ticket!.id);
    expect(await rowCount(db, 'flow_timeout')).toBe(3);

    await alice.decide(ticket!.id, 'approve');
    expect(await rowCount(db, 'flow_timeout')).toBe(3);
    const ran = await client.query('TRUNCATE flow_timeout');
    expect(ran.command).toBe('TRUNCATE');
    expect(await rowCount(db, 'flow_timeout')).toBe(0);
    const used = await alice.ticketsFor('TRUNCATE flow_timeout');
    expect(used).toHaveLength(1);
    expect(used[0]).toMatchObject({ id: ticket!.id, status: 'approved' });
    expect(used[0]!.usedAt).toBeDefined();

    // Used once: the next identical command is a new request.
    await db.exec('insert into flow_timeout values (1)');
    const again = client.query('TRUNCATE flow_timeout').catch((err: pg.DatabaseError) => err);
    const second = await alice.waitForTicket('TRUNCATE flow_timeout');
    expect(second.id).not.toBe(ticket!.id);
    await alice.decide(second.id, 'deny', { rationale: 'once was enough' });
    expect(((await again) as pg.DatabaseError).code).toBe('42501');
    expect(await rowCount(db, 'flow_timeout')).toBe(1);
  });

  it('a client that disconnects while held leaves the ticket pending; after approval a new connection runs it', async () => {
    const subject = 'agent-disconnecting';
    const first = await connect(subject);
    void first.client.query('DROP TABLE flow_disconnect').catch(() => undefined);
    const ticket = await alice.waitForTicket('DROP TABLE flow_disconnect');
    const sessionId = (await listSessions(gw.gateway.store, { subject }))[0]!.id;
    (
      first.client as unknown as { connection: { stream: { destroy(): void } } }
    ).connection.stream.destroy();
    await until('the gateway to end the session', async () => {
      const session = await getSession(gw.gateway.store, sessionId);
      return session?.endedAt !== undefined;
    });

    await alice.decide(ticket.id, 'approve');
    const decided = (await alice.get(`/api/approvals/${ticket.id}`)).body;
    expect(decided.status).toBe('approved');
    expect(decided.usedAt).toBeUndefined();
    expect(await tableExists(db, 'flow_disconnect')).toBe(true);

    const second = await connect(subject);
    await second.client.query('DROP TABLE flow_disconnect');
    expect(await tableExists(db, 'flow_disconnect')).toBe(false);
    expect(await alice.ticketsFor('DROP TABLE flow_disconnect')).toHaveLength(1);
  });

  it('a cancel request while held ends the wait (57014); the re-send attaches to the same ticket', async () => {
    const { client } = await connect();
    const held = client.query('DROP TABLE flow_cancel').catch((err: pg.DatabaseError) => err);
    const ticket = await alice.waitForTicket('DROP TABLE flow_cancel');
    const key = backendKey(client);
    const cancelled = Date.now();
    await sendCancelRequest(gw.host, gw.port, key.processId, key.secretKey);
    const error = (await held) as pg.DatabaseError;
    // Well before the rule's 20 s wait.
    expect(Date.now() - cancelled).toBeLessThan(5000);
    expect(error.code).toBe('57014');
    expect(error.message).toContain('wait cancelled');
    expect(error.message).toContain(ticket.id);
    expect((await alice.get(`/api/approvals/${ticket.id}`)).body.status).toBe('pending');
    expect(await tableExists(db, 'flow_cancel')).toBe(true);

    const retry = client.query('DROP TABLE flow_cancel');
    expect(await stillPending(retry)).toBe(true);
    expect(await alice.ticketsFor('DROP TABLE flow_cancel')).toHaveLength(1);
    await alice.decide(ticket.id, 'approve');
    await retry;
    expect(await tableExists(db, 'flow_cancel')).toBe(false);
  });

  it('requesters cannot approve their own ticket (403 with the reason); outsiders cannot see it', async () => {
    const claims = { groups: ['agents', 'dba'], agent: true };
    const { client } = await connect('agent-dba', claims);
    const self = new ApiClient(gw.gateway.apiUrl, await gw.token('agent-dba', claims));
    const held = client.query('DROP TABLE flow_self');
    const ticket = await alice.waitForTicket('DROP TABLE flow_self');

    const own = await self.get(`/api/approvals/${ticket.id}`);
    expect(own.status).toBe(200);
    expect(own.body.viewer).toEqual({
      canDecide: false,
      reason: 'requesters cannot review their own ticket',
    });
    for (const action of ['approve', 'deny', 'modify']) {
      const answer = await self.post<{ message: string }>(`/api/approvals/${ticket.id}/${action}`, {
        rationale: 'it is mine',
        command: 'SELECT 1',
      });
      expect(answer.status, action).toBe(403);
      expect(answer.body.message).toContain('requesters cannot review their own ticket');
    }

    // Outside the approver groups: the ticket is not visible at all (indistinguishable from a missing id).
    const missing = await mallory.get('/api/approvals/tkt_doesnotexist');
    const hidden = await mallory.get(`/api/approvals/${ticket.id}`);
    expect(hidden.status).toBe(404);
    expect(missing.status).toBe(404);
    expect((await mallory.post(`/api/approvals/${ticket.id}/approve`)).status).toBe(404);
    const listed = await mallory.get<TicketJson[]>('/api/approvals');
    expect(listed.body.map((t) => t.id)).not.toContain(ticket.id);

    expect(await stillPending(held)).toBe(true);
    expect(await tableExists(db, 'flow_self')).toBe(true);
    await alice.decide(ticket.id, 'approve');
    await held;
    expect(await tableExists(db, 'flow_self')).toBe(false);
  });

  it('approvals: 2 needs two distinct dba reviewers', async () => {
    const { client } = await connect();
    const held = client.query('DELETE FROM flow_two');
    const ticket = await alice.waitForTicket('DELETE FROM flow_two');
    expect(ticket.approvalsRequired).toBe(2);

    const first = await alice.decide(ticket.id, 'approve');
    expect(first.status).toBe('pending');
    const repeat = await alice.post<{ message: string }>(`/api/approvals/${ticket.id}/approve`);
    expect(repeat.status).toBe(409);
    expect(repeat.body.message).toContain('already approved');
    expect(await stillPending(held)).toBe(true);
    expect(await rowCount(db, 'flow_two')).toBe(3);

    const second = await bob.decide(ticket.id, 'approve');
    expect(second.status).toBe('approved');
    const result = await held;
    expect(result.rowCount).toBe(3);
    expect(await rowCount(db, 'flow_two')).toBe(0);
  });

  it('a just-in-time grant covers every command of its rule for that agent until a reviewer revokes it', async () => {
    const { client } = await connect('agent-grant');
    const firstText = 'UPDATE flow_grant SET id = id + 10 WHERE id = 1';
    const first = client.query(firstText);
    const ticket = await alice.waitForTicket(firstText);
    expect(ticket).toMatchObject({ scope: 'grant', rule: 'agents-update-with-a-grant' });
    const approved = await alice.decide(ticket.id, 'approve', { rationale: 'incident 42' });
    expect(approved.grantExpiresAt).toBeDefined();
    await first;

    // Covered: another command of the same rule runs at once, without a ticket.
    const second = await client.query('UPDATE flow_grant SET id = id + 10 WHERE id = 2');
    expect(second.rowCount).toBe(1);
    // Not covered: another agent.
    const other = await connect('agent-other');
    const otherText = 'UPDATE flow_grant SET id = 0 WHERE id = 3';
    const otherHeld = other.client.query(otherText).catch((err: pg.DatabaseError) => err);
    const otherTicket = await alice.waitForTicket(otherText);
    expect(otherTicket.id).not.toBe(ticket.id);

    const revoked = await bob.decide(ticket.id, 'revoke', { rationale: 'incident closed' });
    expect(revoked.revokedAt).toBeDefined();
    expect(revoked.decisions.at(-1)).toMatchObject({
      action: 'revoke',
      rationale: 'incident closed',
    });
    const thirdText = 'UPDATE flow_grant SET id = id + 10 WHERE id = 3';
    const third = client.query(thirdText).catch((err: pg.DatabaseError) => err);
    const next = await alice.waitForTicket(thirdText);
    expect(next.id).not.toBe(ticket.id);
    await alice.decide(next.id, 'deny', { rationale: 'ask again tomorrow' });
    await alice.decide(otherTicket.id, 'deny', { rationale: 'not yours' });
    expect(((await third) as pg.DatabaseError).code).toBe('42501');
    expect(((await otherHeld) as pg.DatabaseError).code).toBe('42501');

    const direct = await db.connect();
    try {
      const { rows } = await direct.query('select id from flow_grant order by id');
      expect(rows.map((r) => r.id)).toEqual([3, 11, 12]);
    } finally {
      await direct.end();
    }
  });

  describe('gatehouse exec (the CLI, as a process)', () => {
    let configFile: string;
    const exec = (sql: string, wait: string, extra: string[] = []) =>
      runCli(['exec', 'pg', '-c', configFile, '-e', sql, '--wait', wait, ...extra], {
        env: { GATEHOUSE_TOKEN: agentToken },
      });

    beforeAll(async () => {
      configFile = await clientConfigFile(gw.configText, join(gw.configFile, '..', 'client.yaml'), {
        host: gw.host,
        port: gw.port,
      });
    });

    it('gatehouse approvals approve: a reviewer decides from the CLI', async () => {
      const { client } = await connect();
      const held = client.query('DROP TABLE flow_cli');
      const ticket = await alice.waitForTicket('DROP TABLE flow_cli');
      const cli = (args: string[]) =>
        runCli(['approvals', ...args, '--api-url', gw.gateway.apiUrl, '--token', alice.token]);
      const approved = await cli(['approve', ticket.id, '--reason', 'from the terminal']);
      expect(approved.code, approved.stderr).toBe(0);
      expect(approved.stdout.trim()).toBe(`${ticket.id}: approved`);
      await held;
      expect(await tableExists(db, 'flow_cli')).toBe(false);
    });

    it('exits 0 once approved, printing the notice and the result', async () => {
      const run = exec('DROP TABLE flow_exec_ok', '30s', [
        '--reason',
        'release 42: drop the old table',
      ]);
      const ticket = await alice.waitForTicket('DROP TABLE flow_exec_ok', 'pending', 20_000);
      expect(ticket.reason).toBe('release 42: drop the old table');
      expect(await tableExists(db, 'flow_exec_ok')).toBe(true);
      await alice.decide(ticket.id, 'approve');
      const result = await run;
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toContain('DROP');
      expect(result.stderr).toContain(ticket.id);
      expect(result.stderr).not.toContain('gatehouse: gatehouse:');
      expect(result.stderr.match(/held for review/g), result.stderr).toHaveLength(1);
      expect(await tableExists(db, 'flow_exec_ok')).toBe(false);
    });

    it('exits 2 when denied, with the ticket and the rationale', async () => {
      const run = exec('DROP TABLE flow_exec_deny', '30s');
      const ticket = await alice.waitForTicket('DROP TABLE flow_exec_deny', 'pending', 20_000);
      await alice.decide(ticket.id, 'deny', { rationale: 'use a migration' });
      const result = await run;
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toContain(ticket.id);
      expect(result.stderr).toContain('use a migration');
      expect(await tableExists(db, 'flow_exec_deny')).toBe(true);
    });

    it('exits 3 when no decision comes within --wait; the ticket stays pending', async () => {
      const result = await exec('DROP TABLE flow_exec_wait', '3s');
      expect(result.code, result.stderr).toBe(3);
      const [ticket] = await alice.ticketsFor('DROP TABLE flow_exec_wait');
      expect(ticket?.status).toBe('pending');
      expect(result.stderr).toContain(ticket!.id);
      expect(await tableExists(db, 'flow_exec_wait')).toBe(true);
      await alice.decide(ticket!.id, 'deny', { rationale: 'cleanup' });
    });

    it("re-sends after the rule's wait runs out and picks up a later approval on the same ticket", async () => {
      const run = exec('TRUNCATE flow_exec_retry', '30s');
      const ticket = await alice.waitForTicket('TRUNCATE flow_exec_retry', 'pending', 20_000);
      // Past the rule's 2 s wait: the first attempt timed out and exec sent the command again.
      await new Promise((resolve) => setTimeout(resolve, 3000));
      expect(await stillPending(run)).toBe(true);
      await alice.decide(ticket.id, 'approve');
      const result = await run;
      expect(result.code, result.stderr).toBe(0);
      expect(await rowCount(db, 'flow_exec_retry')).toBe(0);
      expect(await alice.ticketsFor('TRUNCATE flow_exec_retry')).toHaveLength(1);
    });
  });
});

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** The audit record of the first command with `text`, once `ready` holds for it. */
async function storedCommand(
  gw: TestGateway,
  text: string,
  ready: (command: NonNullable<Awaited<ReturnType<typeof findCommand>>>) => boolean,
) {
  let found: Awaited<ReturnType<typeof findCommand>>;
  await until(`the record of "${text}"`, async () => {
    found = await findCommand(gw, text);
    return found !== undefined && ready(found);
  });
  return found!;
}

async function findCommand(gw: TestGateway, text: string) {
  for (const session of await listSessions(gw.gateway.store, { limit: 1000 })) {
    const full = await getSession(gw.gateway.store, session.id);
    const command = full?.commands.find((c) => c.text === text);
    if (command) return command;
  }
  return undefined;
}
