/**
 * Every command goes through the gate, and a refusal looks exactly like a PostgreSQL error at
 * the same place in the response stream — including inside transactions and pipelines.
 */
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ConnectorConfig } from '../../src/config/schema.js';
import { startTestConnector, type TestConnector } from '../helpers/pg-connector.js';
import { createDatabase, type TestDatabase } from '../helpers/pg-db.js';
import {
  bind,
  close,
  describePortal,
  errorFields,
  execute,
  flush,
  frame,
  parse,
  query,
  sync,
  types,
  WireClient,
} from './wire.js';

let db: TestDatabase;
let gw: TestConnector;
const clients: pg.Client[] = [];

const rules = [
  { name: 'no-drop', when: { statement: ['drop_table'] }, action: 'deny', reason: 'tables stay' },
  { name: 'no-unbounded-delete', when: { statement: ['delete'], where: 'absent' }, action: 'deny' },
  { name: 'no-mystery', when: { statement: ['unclassifiable'] }, action: 'deny' },
] as ConnectorConfig['rules'];

beforeAll(async () => {
  db = await createDatabase('gh_pggate');
  gw = await startTestConnector({
    connector: {
      target: {
        host: '127.0.0.1',
        port: 5432,
        user: 'postgres',
        database: db.name,
        tls: 'disable',
      },
      rules,
    },
  });
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.end().catch(() => {})));
  await gw?.stop();
  await db?.drop();
});
beforeEach(() =>
  db.exec('drop table if exists t, victim; create table t (id int); create table victim (id int);'),
);

async function client(): Promise<pg.Client> {
  const c = new pg.Client(gw.pgConfig(await gw.token()));
  clients.push(c);
  await c.connect();
  return c;
}
async function wire(): Promise<WireClient> {
  const w = await WireClient.open(gw.host, gw.port);
  await w.login(await gw.token());
  return w;
}
async function direct(sql: string): Promise<unknown[]> {
  const c = await db.connect();
  try {
    return (await c.query(sql)).rows;
  } finally {
    await c.end();
  }
}
const victimExists = async () => (await direct("select to_regclass('victim') as r"))[0];

describe('simple query', () => {
  it('refuses a denied statement with 42501, the rule and its reason, and keeps the session', async () => {
    const c = await client();
    const err = (await c.query('DROP   TABLE /* x */ victim').catch((e) => e)) as pg.DatabaseError;
    expect(err).toMatchObject({ code: '42501', severity: 'ERROR', detail: 'tables stay' });
    expect(err.message).toMatch(/denied by rule "no-drop"/);
    expect((await c.query('select 1 as ok')).rows[0].ok).toBe(1);
    expect(await victimExists()).toEqual({ r: 'victim' });
    const decided = gw.audit.commands.find((r) => r.command.text.startsWith('DROP'));
    expect(decided?.decision).toMatchObject({ action: 'deny', rule: 'no-drop' });
  });

  it('refuses a whole multi-statement string when one statement is denied', async () => {
    const c = await client();
    await expect(c.query('insert into t values (1); drop table victim')).rejects.toMatchObject({
      code: '42501',
    });
    expect(await direct('select count(*)::int n from t')).toEqual([{ n: 0 }]);
  });

  it('fails the target transaction too, so COMMIT cannot commit what the client saw fail', async () => {
    const w = await wire();
    w.send(query('begin; insert into t values (1)'));
    expect((await w.untilReady()).at(-1)?.body.toString()).toBe('T');
    w.send(query('drop table victim'));
    const refused = await w.untilReady();
    expect(types(refused)).toBe('E Z');
    expect(errorFields(refused[0]!.body).C).toBe('42501');
    expect(refused[1]!.body.toString()).toBe('E');
    w.send(query('commit'));
    const commit = await w.untilReady();
    expect(commit[0]!.body.toString('utf8', 0, 8)).toBe('ROLLBACK');
    expect(await direct('select count(*)::int n from t')).toEqual([{ n: 0 }]);
    w.close();
  });

  it('answers a refusal outside a transaction without touching the target', async () => {
    const w = await wire();
    w.send(query('drop table victim'), query('select 1'));
    const first = await w.untilReady();
    expect(types(first)).toBe('E Z');
    expect(first[1]!.body.toString()).toBe('I');
    expect(types(await w.untilReady())).toBe('T D C Z');
    w.close();
  });

  it('refuses the fast-path function call interface but for large objects', async () => {
    const w = await wire();
    w.send(frame('F', 1, Buffer.from([0, 0, 0, 0, 0, 0])));
    const answer = await w.untilReady();
    expect(types(answer)).toBe('E Z');
    expect(errorFields(answer[0]!.body).C).toBe('42501');
    expect(errorFields(answer[0]!.body).M).toMatch(
      /only for the large-object functions \(function 1\)/,
    );
    w.close();
  });
});

describe('extended query', () => {
  it('refuses mid-pipeline like PostgreSQL: earlier results, the error, nothing until Sync', async () => {
    const w = await wire();
    w.send(
      parse('', 'insert into t values (1)'),
      bind('', ''),
      execute(),
      parse('', 'drop table victim'),
      bind('', ''),
      execute(),
      parse('', 'insert into t values (2)'),
      bind('', ''),
      execute(),
      sync(),
    );
    const answer = await w.untilReady();
    expect(types(answer)).toBe('1 2 C 1 2 E Z');
    expect(errorFields(answer[5]!.body)).toMatchObject({ C: '42501', S: 'ERROR' });
    expect(answer[6]!.body.toString()).toBe('I');
    // The implicit transaction failed as a whole, as it would have on PostgreSQL.
    expect(await direct('select count(*)::int n from t')).toEqual([{ n: 0 }]);
    expect(await victimExists()).toEqual({ r: 'victim' });
    w.send(parse('', 'select 7'), bind('', ''), execute(), sync());
    expect(types(await w.untilReady())).toBe('1 2 D C Z');
    w.close();
  });

  it('refuses with parameters through the pg driver and keeps transaction agreement', async () => {
    const c = await client();
    await c.query('begin');
    await c.query('insert into t values ($1)', [5]);
    await expect(c.query({ text: 'delete from t', values: [] })).rejects.toMatchObject({
      code: '42501',
    });
    await expect(c.query('select 1')).rejects.toMatchObject({ code: '25P02' });
    const commit = await c.query('commit');
    expect(commit.command).toBe('ROLLBACK');
    await c.query('delete from t where id = $1', [5]);
    const record = gw.audit.commands.find((r) => r.command.text === 'insert into t values ($1)');
    expect(record?.command.params).toEqual(['5']);
  });

  it('checks what the target will run when a redefining Parse was skipped', async () => {
    const w = await wire();
    // The unnamed statement is a DROP, parsed but not run.
    w.send(parse('', 'drop table victim'), sync());
    expect(types(await w.untilReady())).toBe('1 Z');
    // This segment fails first, so the target skips the Parse that would redefine "".
    w.send(parse('bad', 'select * from no_such_table'), parse('', 'select 1'), sync());
    expect(types(await w.untilReady())).toBe('E Z');
    // The unnamed statement is still the DROP: the gate must see a DROP.
    w.send(bind('', ''), execute(), sync());
    const answer = await w.untilReady();
    expect(types(answer)).toBe('2 E Z');
    expect(errorFields(answer[1]!.body).C).toBe('42501');
    expect(await victimExists()).toEqual({ r: 'victim' });
    w.close();
  });

  it('checks the statement in force when a named Parse collides with an existing one', async () => {
    const w = await wire();
    w.send(parse('s1', 'drop table victim'), sync());
    expect(types(await w.untilReady())).toBe('1 Z');
    w.send(parse('s1', 'select 1'), sync());
    expect(errorFields((await w.untilReady())[0]!.body).C).toBe('42P05');
    w.send(bind('', 's1'), execute(), sync());
    expect(types(await w.untilReady())).toBe('2 E Z');
    expect(await victimExists()).toEqual({ r: 'victim' });
    w.close();
  });

  it('answers Flush without Sync, and closes statements and portals', async () => {
    const w = await wire();
    w.send(
      parse('s3', 'select $1::int + 1'),
      bind('p3', 's3', ['41']),
      describePortal('p3'),
      execute('p3'),
      flush(),
    );
    const flushed: string[] = [];
    for (let i = 0; i < 5; i++) flushed.push((await w.message())!.type);
    expect(flushed.join(' ')).toBe('1 2 T D C');
    w.send(close('P', 'p3'), close('S', 's3'), sync());
    expect(types(await w.untilReady())).toBe('3 3 Z');
    // The statement is gone on the target: its error comes first, as PostgreSQL would send it.
    w.send(bind('', 's3', ['1']), execute(), sync());
    const answer = await w.untilReady();
    expect(types(answer)).toBe('E Z');
    expect(errorFields(answer[0]!.body).C).toBe('26000');
    w.close();
  });

  it('treats an Execute of a portal it never saw bound as unclassifiable', async () => {
    const w = await wire();
    w.send(execute('mystery'), sync());
    const answer = await w.untilReady();
    expect(types(answer)).toBe('E Z');
    expect(errorFields(answer[0]!.body).M).toMatch(
      /Execute of a portal the gateway did not see bound \(a cursor\?\): treated as every class; denied by rule "no-mystery"/,
    );
    w.close();
  });

  it('names why a command is unclassifiable before the rule that denied it', async () => {
    const c = await client();
    const refused = async (sql: string) =>
      (
        await c.query(sql).then(
          () => undefined,
          (e: pg.DatabaseError) => e,
        )
      )?.message;
    expect(
      await refused(
        "create function f() returns void language plpgsql as $$ begin execute 'drop table victim'; end $$",
      ),
    ).toBe(
      'gatehouse: function body with dynamic SQL: treated as every class; denied by rule "no-mystery"',
    );
    expect(await refused('do $$ begin perform 1; end $$')).toMatch(
      /^gatehouse: DO block: treated as every class; denied by rule "no-mystery"$/,
    );
    expect(await refused('selec 1')).toMatch(/^gatehouse: text the PostgreSQL parser rejects: /);
    expect(await refused('drop table victim')).toBe('gatehouse: denied by rule "no-drop"');
    const recorded = gw.audit.commands.find((r) => r.command.text.startsWith('do $$'));
    expect(recorded?.command.unclassifiableReason).toBe('DO block');
  });
});

describe('prepared statements', () => {
  it('classifies SQL EXECUTE as what the prepared statement does, across redefinition', async () => {
    const c = await client();
    await c.query('insert into victim values (1)');
    await c.query('prepare p as delete from victim');
    await expect(c.query('execute p')).rejects.toMatchObject({ code: '42501' });
    await c.query('deallocate p');
    await c.query('prepare p as select 1 as one');
    expect((await c.query('execute p')).rows).toEqual([{ one: 1 }]);
    await c.query('prepare q as delete from victim where id = 2');
    await c.query('deallocate all');
    // After DEALLOCATE ALL, a name the gateway knew is unknown again: unclassifiable.
    await expect(c.query('execute p')).rejects.toMatchObject({ code: '42501' });
    expect(await direct('select count(*)::int n from victim')).toEqual([{ n: 1 }]);
  });

  it('classifies a protocol Execute of a statement made with SQL PREPARE as what it runs', async () => {
    await db.exec('insert into victim values (1)');
    const w = await wire();
    w.send(query('prepare del as delete from victim'));
    expect(types(await w.untilReady())).toBe('C Z');
    w.send(bind('', 'del'), execute(), sync());
    const answer = await w.untilReady();
    expect(types(answer)).toBe('2 E Z');
    expect(errorFields(answer[1]!.body).M).toMatch(/no-unbounded-delete/);
    expect(await direct('select count(*)::int n from victim')).toEqual([{ n: 1 }]);
    w.close();
  });

  it("does not trust a Parse'd EXECUTE to keep its meaning when run by SQL EXECUTE", async () => {
    await db.exec('insert into victim values (1)');
    const w = await wire();
    w.send(query('prepare inner_p as select 1'));
    expect(types(await w.untilReady())).toBe('C Z');
    w.send(parse('outer_p', 'execute inner_p'), sync());
    expect(types(await w.untilReady())).toBe('1 Z');
    w.send(query('deallocate inner_p; prepare inner_p as delete from victim'));
    expect(types(await w.untilReady())).toBe('C C Z');
    w.send(query('execute outer_p'));
    expect(types(await w.untilReady())).toBe('E Z');
    // Through the protocol the outer statement is classified afresh: a DELETE without WHERE.
    w.send(bind('', 'outer_p'), execute(), sync());
    const answer = await w.untilReady();
    expect(errorFields(answer[1]!.body).M).toMatch(/no-unbounded-delete/);
    expect(await direct('select count(*)::int n from victim')).toEqual([{ n: 1 }]);
    w.close();
  });

  it('classifies a command pipelined behind a redefining PREPARE with the new definition', async () => {
    await db.exec('insert into victim values (1)');
    const w = await wire();
    w.send(query('prepare p as select 1'));
    expect(types(await w.untilReady())).toBe('C Z');
    // Sent in one write: the EXECUTEs are decided before the target has answered the PREPARE.
    w.send(query('deallocate p; prepare p as delete from victim'), query('execute p'));
    expect(types(await w.untilReady())).toBe('C C Z');
    const sql = await w.untilReady();
    expect(errorFields(sql[0]!.body).M).toMatch(/no-unbounded-delete/);
    w.send(
      query(
        'deallocate p; prepare p as delete from victim where false; deallocate p; prepare p as delete from victim',
      ),
      bind('', 'p'),
      execute(),
      sync(),
    );
    expect(types(await w.untilReady())).toBe('C C C C Z');
    const protocol = await w.untilReady();
    expect(types(protocol)).toBe('2 E Z');
    expect(errorFields(protocol[1]!.body).M).toMatch(/no-unbounded-delete/);
    expect(await direct('select count(*)::int n from victim')).toEqual([{ n: 1 }]);
    w.close();
  });

  it('resolves names changed earlier in the same pipeline segment, without waiting for Sync', async () => {
    await db.exec('insert into victim values (1)');
    const w = await wire();
    w.send(parse('q', 'select 1'), sync());
    expect(types(await w.untilReady())).toBe('1 Z');
    // Redefine q at protocol level, then run it by SQL EXECUTE, all before any Sync.
    w.send(close('S', 'q'), parse('q', 'delete from victim'), query('execute q'));
    const sql = await w.untilReady();
    expect(types(sql)).toBe('3 1 E Z');
    expect(errorFields(sql[2]!.body).M).toMatch(/no-unbounded-delete/);
    // A PREPARE run through Execute, then the prepared statement bound, in one segment.
    w.send(
      parse('', 'prepare r as delete from victim'),
      bind('', ''),
      execute(),
      bind('rp', 'r'),
      execute('rp'),
      sync(),
    );
    const extended = await w.untilReady();
    expect(types(extended)).toBe('1 2 C 2 E Z');
    expect(errorFields(extended[4]!.body).M).toMatch(/no-unbounded-delete/);
    expect(await direct('select count(*)::int n from victim')).toEqual([{ n: 1 }]);
    w.close();
  });

  it('classifies SQL EXECUTE of a statement made with a protocol Parse', async () => {
    const w = await wire();
    w.send(parse('s2', 'drop table victim'), sync());
    expect(types(await w.untilReady())).toBe('1 Z');
    w.send(query('execute s2'));
    expect(types(await w.untilReady())).toBe('E Z');
    expect(await victimExists()).toEqual({ r: 'victim' });
    w.close();
  });
});

describe('audit', () => {
  it('reports command tags, rows and errors for every forwarded command', async () => {
    const c = await client();
    await c.query('insert into t select generate_series(1, 3)');
    await c.query({ text: 'select * from t where id > $1', values: [1] });
    await c.query('select 1/0').catch(() => {});
    // The driver may report the error before the gateway has seen ReadyForQuery, which is when
    // a simple query's outcome is recorded: one more round trip settles it.
    await c.query('select 1');
    const outcome = (text: string) => {
      const decided = gw.audit.commands.find((r) => r.command.text === text);
      return gw.audit.outcomes.find(
        (o) => o.sessionId === decided?.sessionId && o.seq === decided?.seq,
      )?.outcome;
    };
    expect(outcome('insert into t select generate_series(1, 3)')).toMatchObject({
      tag: 'INSERT 0 3',
      rows: 3,
    });
    expect(outcome('select * from t where id > $1')).toMatchObject({ tag: 'SELECT 2', rows: 2 });
    expect(outcome('select 1/0')?.error).toMatchObject({ code: '22012' });
  });
});
