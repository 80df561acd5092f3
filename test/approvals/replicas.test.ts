import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type Replica, type ReplicaPair, startReplicaPair } from '../../bench/replica-pair.js';
import { describeRelease, measureRelease, REPLICA_RULES } from '../../bench/replica-release.js';
import { LOCAL_POSTGRES, requirePostgres } from '../helpers/services.js';
import { ApiClient, stillPending } from './flow-helpers.js';

/**
 * Two `gatehouse serve` processes on one PostgreSQL store (docs/approvals.md, "Across replicas";
 * docs/policy.md on reloads): a decision taken through one replica releases the client held on the
 * other (LISTEN/NOTIFY), and a config reload (SIGHUP) reaches live sessions on both at their next
 * command.
 */
describe.runIf(await requirePostgres())('two replicas sharing a PostgreSQL store', () => {
  let pair: ReplicaPair;
  const clients: pg.Client[] = [];

  async function connect(replica: Replica, subject = 'agent-1', agent = true) {
    const token = await pair.token(subject, { groups: ['agents'], agent });
    const client = new pg.Client(pair.clientConfig(replica, subject, token));
    const notices: string[] = [];
    client.on('notice', (n) => notices.push(n.message ?? ''));
    client.on('error', () => undefined);
    await client.connect();
    clients.push(client);
    return { client, notices };
  }

  async function tableExists(name: string): Promise<boolean> {
    const client = new pg.Client({ ...LOCAL_POSTGRES, database: pair.targetDatabase });
    await client.connect();
    try {
      const { rows } = await client.query('select to_regclass($1)::text as found', [name]);
      return rows[0].found !== null;
    } finally {
      await client.end();
    }
  }

  const reviewer = async (replica: Replica, subject: string) =>
    new ApiClient(replica.apiUrl, await pair.token(subject, { groups: ['dba'] }));

  beforeAll(async () => {
    pair = await startReplicaPair({
      server: LOCAL_POSTGRES,
      rules: REPLICA_RULES,
      setup:
        'create table held_a (id int); create table held_b (id int); create table held_c (id int);',
    });
  }, 120_000);

  afterAll(async () => {
    for (const client of clients) await client.end().catch(() => undefined);
    await pair?.close();
  }, 60_000);

  it('an approval through replica B releases the agent held on replica A', async () => {
    const { client, notices } = await connect(pair.a);
    const held = client.query('DROP TABLE held_a');
    // If an assertion fails first, the query's rejection at teardown is not a second failure.
    held.catch(() => undefined);
    const onB = await reviewer(pair.b, 'alice');
    // The ticket is in the shared store: B lists it although A holds the client.
    const ticket = await onB.waitForTicket('DROP TABLE held_a');
    // The notice follows the ticket's creation, so B may list the ticket before A's client hears.
    await vi.waitFor(() => expect(notices.join('\n')).toContain(ticket.id), { timeout: 5000 });
    expect(await stillPending(held, 300)).toBe(true);
    expect(await tableExists('held_a')).toBe(true);

    await onB.decide(ticket.id, 'approve');
    await held;
    expect(await tableExists('held_a')).toBe(false);
  });

  it('a denial through replica A reaches the agent held on replica B (42501, ticket, rationale)', async () => {
    const { client } = await connect(pair.b);
    const held = client.query('DROP TABLE held_b').catch((err: pg.DatabaseError) => err);
    const onA = await reviewer(pair.a, 'bob');
    const ticket = await onA.waitForTicket('DROP TABLE held_b');
    await onA.decide(ticket.id, 'deny', { rationale: 'decided on the other replica' });
    const error = (await held) as pg.DatabaseError;
    expect(error.code).toBe('42501');
    expect(error.message).toContain(ticket.id);
    expect(error.detail).toContain('decided on the other replica');
    expect(await tableExists('held_b')).toBe(true);
  });

  it('measures release latency across replicas', async () => {
    const result = await measureRelease(pair, 20);
    for (const line of describeRelease(result)) console.log(line);
    expect(result.fromApproveSent.n).toBe(20);
    // LISTEN/NOTIFY, not polling: well under a second even on a loaded CI machine.
    expect(result.fromApproveSent.p50).toBeLessThan(500);
    expect(result.fromApproveSent.p99).toBeLessThan(2000);
  }, 60_000);

  it('SIGHUP reloads policy into live sessions on both replicas at their next command', async () => {
    const onA = await connect(pair.a, 'agent-reader');
    const onB = await connect(pair.b, 'agent-reader');
    for (const { client } of [onA, onB])
      expect((await client.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);

    const denyReads = {
      name: 'agents-may-not-read',
      when: { statement: ['read'], agent: true },
      action: 'deny',
      reason: 'reads are closed for agents',
    };
    await pair.writeRules([...REPLICA_RULES, denyReads]);
    const reloads = (replica: Replica) =>
      replica.logs.filter((line) => line.msg === 'policy reloaded').length;
    const before = [reloads(pair.a), reloads(pair.b)];
    pair.a.reload();
    pair.b.reload();
    await Promise.all(
      [pair.a, pair.b].map((replica, i) =>
        replica.waitForLog(
          (line) => line.msg === 'policy reloaded' && reloads(replica) > before[i]!,
        ),
      ),
    );

    for (const { client } of [onA, onB]) {
      const error = (await client
        .query('SELECT 1 AS one')
        .catch((err: pg.DatabaseError) => err)) as pg.DatabaseError;
      expect(error).toBeInstanceOf(Error);
      expect(error.code).toBe('42501');
      expect(`${error.message} ${error.detail}`).toContain('agents-may-not-read');
    }

    // A broken file is refused and the running policy stays in force.
    await pair.writeRules('connectors: [ this is not valid');
    for (const replica of [pair.a, pair.b]) {
      replica.reload();
      await replica.waitForLog((line) => line.msg?.startsWith('config reload failed') === true);
    }
    for (const { client } of [onA, onB]) {
      const error = (await client
        .query('SELECT 1')
        .catch((e: pg.DatabaseError) => e)) as pg.DatabaseError;
      expect(error.code).toBe('42501');
    }
  });

  it('a central policy version applied through replica B is enforced by a live session on A at its next command', async () => {
    // A person: the SIGHUP test above closed reads to agents.
    const { client } = await connect(pair.a, 'person-central', false);
    expect((await client.query('SELECT 2 AS two')).rows).toEqual([{ two: 2 }]);
    const onB = await reviewer(pair.b, 'dana');
    const document = {
      connectors: [
        {
          name: 'pg',
          rules: [
            ...REPLICA_RULES,
            {
              name: 'central-closes-reads',
              when: { statement: ['read'], subjects: ['person-central'] },
              action: 'deny',
              reason: 'closed by central policy',
            },
          ],
        },
      ],
    };
    const applied = await onB.post<{ version: number }>('/api/policy', {
      document,
      reason: 'close reads for person-central',
    });
    expect(applied.status, JSON.stringify(applied.body)).toBe(201);
    const started = performance.now();
    let denied: pg.DatabaseError | undefined;
    while (!denied && performance.now() - started < 5000) {
      denied = (await client.query('SELECT 2 AS two').then(
        () => undefined,
        (err: pg.DatabaseError) => err,
      )) as pg.DatabaseError | undefined;
    }
    const delayMs = performance.now() - started;
    console.info(
      `central policy reached replica A's live session ${delayMs.toFixed(0)} ms after B answered`,
    );
    expect(denied?.code).toBe('42501');
    expect(`${denied?.message} ${denied?.detail}`).toContain('central-closes-reads');
    expect(delayMs).toBeLessThan(1000);
  });

  // Last: it stops replica A.
  it('SIGTERM on a replica: a running command finishes; a held one is told its ticket stays, and the retry on the other replica attaches to it and is released there', async () => {
    // A person, not an agent: the SIGHUP test above closed reads to agents.
    const busy = await connect(pair.a, 'person-busy', false);
    const running = busy.client.query('SELECT pg_sleep(1.5), 42 AS answer');
    const { client, notices } = await connect(pair.a);
    const held = client.query('DROP TABLE held_c');
    const refused = held.then(
      () => undefined,
      (err: pg.DatabaseError) => err,
    );
    const onB = await reviewer(pair.b, 'alice');
    const ticket = await onB.waitForTicket('DROP TABLE held_c');
    await vi.waitFor(() => expect(notices.join('\n')).toContain(ticket.id), { timeout: 5000 });

    const stopped = pair.a.stop();
    expect((await running).rows[0].answer).toBe(42);
    const error = await refused;
    expect(error).toBeInstanceOf(Error);
    expect(`${error?.message} ${error?.detail ?? ''}`).toContain(ticket.id);
    await stopped;
    expect(await tableExists('held_c')).toBe(true);

    const retry = await connect(pair.b);
    const released = retry.client.query('DROP TABLE held_c');
    released.catch(() => undefined);
    await vi.waitFor(() => expect(retry.notices.join('\n')).toContain(ticket.id), {
      timeout: 5000,
    });
    await onB.decide(ticket.id, 'approve');
    await released;
    expect(await tableExists('held_c')).toBe(false);
    expect(await onB.ticketsFor('DROP TABLE held_c')).toHaveLength(1);
  }, 60_000);
});
