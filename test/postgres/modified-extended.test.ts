/**
 * A reviewer's modified command on the extended protocol runs with the client's bound
 * parameters when it uses as many as were bound, of the types the client declared; otherwise it
 * is refused with a message that says why.
 */
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ApprovalHold } from '../../src/core/approval-hold.js';
import { startTestConnector, type TestConnector } from '../helpers/pg-connector.js';
import { createDatabase, type TestDatabase } from '../helpers/pg-db.js';
import { bind, errorFields, execute, parse, sync, types, WireClient } from './wire.js';

let db: TestDatabase;
let gw: TestConnector;
/** What the reviewer turns each held text into. */
const modifications = new Map<string, string>();

const approvals: ApprovalHold = {
  hold: async ({ command }) => ({
    ticket: { id: 'ticket-1' },
    text: modifications.get(command.text) ?? command.text,
  }),
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

  it('runs it with pg (no declared types) only when it has no parameters', async () => {
    modifications.set('delete from items where id = $1', 'delete from items where id = 6');
    const client = new pg.Client(gw.pgConfig(await gw.token()));
    await client.connect();
    try {
      const err = await client.query('delete from items where id = $1', [1]).catch((e) => e);
      expect(err.message).toMatch(/uses 0 parameter\(s\), and 1 was bound/);
      modifications.set('delete from items where id = $1', 'delete from items where id = $1 + 1');
      const untyped = await client.query('delete from items where id = $1', [1]).catch((e) => e);
      expect(untyped.message).toMatch(
        /cannot run with your bound parameters: 1 of the 1 parameter type\(s\) were not declared in Parse/,
      );
      expect(untyped.code).toBe('42501');
      modifications.set('delete from items', 'delete from items where id = 6');
      expect((await client.query('delete from items')).rowCount).toBe(1);
    } finally {
      await client.end();
    }
    expect(await remaining()).toEqual([1, 2, 3, 4, 5]);
  });

  it('refuses a parameter count that does not match, and the target’s error shows as the Execute’s', async () => {
    modifications.set(
      'delete from items where id > $1',
      'delete from items where id > $1 and id < $2',
    );
    const refused = await extended('delete from items where id > $1', [23], ['2']);
    expect(types(refused)).toBe('1 2 E Z');
    expect(errorFields(refused.find((m) => m.type === 'E')!.body).M).toMatch(
      /uses 2 parameter\(s\), and 1 was bound/,
    );
    modifications.set('delete from items where id > $1', 'delete from items where kind > $1');
    const failed = await extended('delete from items where id > $1', [23], ['2']);
    expect(types(failed)).toBe('1 2 E Z');
    expect(errorFields(failed.find((m) => m.type === 'E')!.body).M).toMatch(
      /operator does not exist: text > integer/,
    );
    expect(await remaining()).toEqual([1, 2, 3, 4, 5, 6]);
  });
});
