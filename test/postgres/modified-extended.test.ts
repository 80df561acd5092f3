/**
 * A reviewer's modified command on the extended protocol runs with the client's bound
 * parameters when it takes as many, of the same types (declared by the client or inferred by
 * the target: the gateway asks the target with its own hidden Parse/Describe), and returns the
 * same columns; otherwise it is refused with a message that says why.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ApprovalHold } from '../../src/core/approval-hold.js';
import { startTestConnector, type TestConnector } from '../helpers/pg-connector.js';
import { createDatabase, type TestDatabase } from '../helpers/pg-db.js';
import { pgbench } from '../helpers/psql.js';
import { bind, errorFields, execute, parse, query, sync, types, WireClient } from './wire.js';

let db: TestDatabase;
let gw: TestConnector;
/** What the reviewer turns each held text into. */
const modifications = new Map<string, string>();

/** How long the review of a held command takes (ms). */
let reviewMs = 0;

const approvals: ApprovalHold = {
  hold: async ({ command }) => {
    if (reviewMs > 0) await new Promise((resolve) => setTimeout(resolve, reviewMs));
    return {
      ticket: { id: 'ticket-1' },
      // pgbench sends its script's line as written (the `;` kept).
      text: modifications.get(command.text.replace(/;\s*$/, '')) ?? command.text,
    };
  },
};

beforeAll(async () => {
  db = await createDatabase('gh_modext');
  gw = await startTestConnector({
    approvals,
    connector: {
      target: {
        host: '127.0.0.1',
        port: 5432,
        user: 'postgres',
        database: db.name,
        tls: 'disable',
      },
      rules: [{ name: 'deletes-need-review', when: { statement: ['delete'] }, action: 'review' }],
    },
  });
});
afterAll(async () => {
  await gw?.stop();
  await db?.drop();
});
beforeEach(async () => {
  modifications.clear();
  reviewMs = 0;
  await db.exec(
    'drop table if exists items; create table items (id int, kind text); insert into items select g, case when g % 2 = 0 then $$even$$ else $$odd$$ end from generate_series(1, 6) g',
  );
});

const remaining = async () => {
  const c = await db.connect();
  try {
    return (await c.query('select id from items order by id')).rows.map((r) => r.id as number);
  } finally {
    await c.end();
  }
};

/** Parse with declared types (OIDs), Bind, Execute, Sync over the wire; the messages back. */
async function extended(sql: string, paramTypes: number[], params: string[]) {
  const wire = await WireClient.open(gw.host, gw.port);
  await wire.login(await gw.token());
  const types4 = Buffer.alloc(2 + paramTypes.length * 4);
  types4.writeInt16BE(paramTypes.length, 0);
  for (const [i, oid] of paramTypes.entries()) types4.writeInt32BE(oid, 2 + i * 4);
  const parseMessage = parse('', sql);
  // wire.parse declares no types; rebuild with the declared ones.
  const body = parseMessage.subarray(5, parseMessage.length - 2);
  const framed = Buffer.concat([Buffer.from('P'), Buffer.alloc(4), body, types4]);
  framed.writeInt32BE(framed.length - 1, 1);
  wire.send(framed, bind('', '', params), execute(), sync());
  const answer = await wire.untilReady();
  wire.close();
  return answer;
}

describe('a modified command on the extended protocol', () => {
  it('runs the reviewer’s text with the client’s parameters when count and types match', async () => {
    modifications.set(
      'delete from items where id > $1',
      'delete from items where id > $1 and kind = $$even$$',
    );
    const answer = await extended('delete from items where id > $1', [23], ['2']);
    expect(types(answer)).toBe('1 2 C Z');
    expect(answer.find((m) => m.type === 'C')!.body.toString()).toContain('DELETE 2');
    expect(await remaining()).toEqual([1, 2, 3, 5]);
    const recorded = gw.audit.commands.find((c) => c.executedText?.includes('kind = $$even$$'));
    expect(recorded?.command.params).toEqual(['2']);
  });

  it('runs it with pg (types not declared) when the inferred types match', async () => {
    modifications.set(
      'delete from items where id = $1 or kind = $2',
      'delete from items where id = $1 + 1 and kind = $2',
    );
    const client = new pg.Client(gw.pgConfig(await gw.token()));
    await client.connect();
    try {
      const done = await client.query('delete from items where id = $1 or kind = $2', [3, 'even']);
      expect(done.rowCount).toBe(1);
      // The session goes on: the gateway's own statements left nothing behind for the client.
      expect((await client.query('select count(*)::int as n from items')).rows).toEqual([{ n: 5 }]);
    } finally {
      await client.end();
    }
    expect(await remaining()).toEqual([1, 2, 3, 5, 6]);
    const recorded = gw.audit.commands.find((c) => c.executedText?.includes('$1 + 1 and kind'));
    expect(recorded?.command.text).toBe('delete from items where id = $1 or kind = $2');
    expect(recorded?.command.params).toEqual(['3', 'even']);
  });

  it('refuses with pg when the count or types differ, naming them', async () => {
    const client = new pg.Client(gw.pgConfig(await gw.token()));
    await client.connect();
    try {
      modifications.set('delete from items where id = $1', 'delete from items where id = 6');
      const none = await client.query('delete from items where id = $1', [1]).catch((e) => e);
      expect(none.message).toMatch(/the reviewer's text takes 0 parameters; the client bound 1/);
      expect(none.code).toBe('42501');
      modifications.set(
        'delete from items where id = $1',
        'delete from items where id = $1 and kind = $2',
      );
      const more = await client.query('delete from items where id = $1', [1]).catch((e) => e);
      expect(more.message).toMatch(
        /the reviewer's text takes 2 parameters \(int4, text\); the client bound 1/,
      );
      modifications.set('delete from items where id = $1', 'delete from items where kind = $1');
      const typed = await client.query('delete from items where id = $1', [1]).catch((e) => e);
      expect(typed.message).toMatch(/\$1 is text, not int4/);
      // The session goes on after a refusal.
      modifications.set('delete from items', 'delete from items where id = 6');
      expect((await client.query('delete from items')).rowCount).toBe(1);
    } finally {
      await client.end();
    }
    expect(await remaining()).toEqual([1, 2, 3, 4, 5]);
  });

  it('refuses a reviewer text the target cannot parse with the target’s error', async () => {
    modifications.set('delete from items where id = $1', 'delete from nosuch where id = $1');
    const client = new pg.Client(gw.pgConfig(await gw.token()));
    await client.connect();
    try {
      const err = await client.query('delete from items where id = $1', [1]).catch((e) => e);
      expect(err.message).toMatch(/relation "nosuch" does not exist/);
      expect(err.code).toBe('42P01');
      modifications.set('delete from items where id = $1', 'delete frm items where id = $1');
      const syntax = await client.query('delete from items where id = $1', [1]).catch((e) => e);
      expect(syntax.code).toBe('42601');
      expect((await client.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await client.end();
    }
    expect(await remaining()).toEqual([1, 2, 3, 4, 5, 6]);
    expect(gw.audit.commands.some((c) => c.executedText?.includes('nosuch'))).toBe(true);
    expect(
      gw.audit.outcomes.some((o) => o.outcome.error?.message.includes('"nosuch" does not exist')),
    ).toBe(true);
  });

  it('refuses a reviewer text that returns other columns than the client’s', async () => {
    modifications.set(
      'delete from items where id = $1 returning id',
      'delete from items where id = $1 returning kind',
    );
    const client = new pg.Client(gw.pgConfig(await gw.token()));
    await client.connect();
    try {
      const err = await client
        .query('delete from items where id = $1 returning id', [1])
        .catch((e) => e);
      expect(err.message).toMatch(
        /the reviewer's text returns columns \(kind text\), and the client's statement returns columns \(id int4\)/,
      );
      modifications.set(
        'delete from items where id = $1 returning id',
        'delete from items where id = $1 + 1 returning id',
      );
      const ran = await client.query('delete from items where id = $1 returning id', [1]);
      expect(ran.rows).toEqual([{ id: 2 }]);
    } finally {
      await client.end();
    }
    expect(await remaining()).toEqual([1, 3, 4, 5, 6]);
  });

  it('refuses a parameter count that does not match, and a declared type the text cannot take', async () => {
    modifications.set(
      'delete from items where id > $1',
      'delete from items where id > $1 and id < $2',
    );
    const refused = await extended('delete from items where id > $1', [23], ['2']);
    expect(types(refused)).toBe('1 2 E Z');
    expect(errorFields(refused.find((m) => m.type === 'E')!.body).M).toMatch(
      /takes 2 parameters \(int4, int4\); the client bound 1/,
    );
    modifications.set('delete from items where id > $1', 'delete from items where kind > $1');
    const failed = await extended('delete from items where id > $1', [23], ['2']);
    expect(types(failed)).toBe('1 2 E Z');
    expect(errorFields(failed.find((m) => m.type === 'E')!.body).M).toMatch(
      /\$1 is text, not int4/,
    );
    expect(await remaining()).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('shows a failed Parse of the reviewer’s text where the Execute’s error would be, then skips to Sync', async () => {
    modifications.set('delete from items where id > $1', 'delete from nosuch where id > $1');
    const wire = await WireClient.open(gw.host, gw.port);
    await wire.login(await gw.token());
    wire.send(
      parse('', 'delete from items where id > $1'),
      bind('', '', ['2']),
      execute(),
      parse('', 'select 1'),
      bind('', ''),
      execute(),
      sync(),
    );
    const answer = await wire.untilReady();
    expect(types(answer)).toBe('1 2 E Z');
    expect(errorFields(answer.find((m) => m.type === 'E')!.body).M).toMatch(/nosuch/);
    wire.send(query('select 2'));
    expect(types(await wire.untilReady())).toBe('T D C Z');
    wire.close();
    expect(await remaining()).toEqual([1, 2, 3, 4, 5, 6]);
  });

  for (const mode of ['extended', 'prepared']) {
    it(`runs and refuses it for pgbench -M ${mode} (types not declared)`, async () => {
      const script = join(mkdtempSync(join(tmpdir(), 'gh-modify-')), 'delete.sql');
      writeFileSync(script, '\\set id 4\ndelete from items where id = :id;\n');
      const target = {
        host: gw.host,
        port: gw.port,
        user: 'bench',
        database: db.name,
        password: await gw.token(),
      };
      const args = ['-n', '-M', mode, '-t', '1', '-f', script];
      modifications.set('delete from items where id = $1', 'delete from items where id = $1 + 1');
      const ran = await pgbench(target, args);
      expect(ran.code, ran.stderr).toBe(0);
      expect(await remaining()).toEqual([1, 2, 3, 4, 6]);
      modifications.set(
        'delete from items where id = $1',
        'delete from items where id = $1 and kind = $2',
      );
      const refused = await pgbench(target, args);
      expect(refused.stderr).toMatch(/takes 2 parameters \(int4, text\); the client bound 1/);
      expect(await remaining()).toEqual([1, 2, 3, 4, 6]);
    });
  }

  it('skips a modified Execute behind a failed one of the same pipeline, as the target would', async () => {
    modifications.set('delete from items where id > $1', 'delete from items where id > $1 + 1');
    // The review outlasts the target's error: the target already skips up to Sync when the
    // gateway would probe, so it must not wait for an answer.
    reviewMs = 200;
    const wire = await WireClient.open(gw.host, gw.port);
    await wire.login(await gw.token());
    wire.send(
      parse('', 'select 1/0'),
      bind('', ''),
      execute(),
      parse('', 'delete from items where id > $1'),
      bind('', '', ['2']),
      execute(),
      sync(),
    );
    const answer = await wire.untilReady();
    expect(types(answer)).toBe('1 E Z');
    expect(errorFields(answer.find((m) => m.type === 'E')!.body).M).toMatch(/division by zero/);
    wire.send(query('select 2'));
    expect(types(await wire.untilReady())).toBe('T D C Z');
    wire.close();
    expect(await remaining()).toEqual([1, 2, 3, 4, 5, 6]);
  });
});
