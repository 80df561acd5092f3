/**
 * The connector relays what PostgreSQL says, unchanged: every result below is compared with a
 * direct connection to the same database.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendKey, sendCancelRequest } from '../helpers/pg-cancel.js';
import { startTestConnector, type TestConnector } from '../helpers/pg-connector.js';
import {
  createDatabase,
  localConfig,
  type TestDatabase,
  waitForActiveQuery,
} from '../helpers/pg-db.js';
import { type LibpqTarget, psql } from '../helpers/psql.js';
import { LOCAL_POSTGRES } from '../helpers/services.js';

let db: TestDatabase;
let gw: TestConnector;
const clients: pg.Client[] = [];

async function connect(via: 'direct' | 'gateway'): Promise<pg.Client> {
  const config = via === 'direct' ? localConfig(db.name) : gw.pgConfig(await gw.token());
  const client = new pg.Client(config);
  clients.push(client);
  await client.connect();
  return client;
}

/** Runs the same thing directly and through the gateway, returning both results. */
async function both<T>(work: (client: pg.Client) => Promise<T>): Promise<[T, T]> {
  const [direct, gateway] = await Promise.all([connect('direct'), connect('gateway')]);
  return [await work(direct), await work(gateway)];
}

beforeAll(async () => {
  db = await createDatabase('gh_pgconn');
  await db.exec(`
    create table items (id int primary key, name text not null, note text, price numeric(10,2));
    insert into items values (1, 'one', null, 1.50), (2, 'two', 'x', null);
    create table big (id int, payload text);
  `);
  gw = await startTestConnector({
    connector: {
      target: {
        host: '127.0.0.1',
        port: 5432,
        user: 'postgres',
        database: db.name,
        tls: 'disable',
      },
    },
  });
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.end().catch(() => {})));
  await gw?.stop();
  await db?.drop();
});

describe('results', () => {
  it('returns types and NULLs exactly as a direct connection, simple and extended', async () => {
    const sql = `select 1::int2 a, 2::int8 b, 1.5::float8 c, 12.345::numeric d, true e, null::text f,
      'x'::bytea g, now()::date - now()::date h, '{1,2}'::int[] i, '{"k":1}'::jsonb j,
      interval '1 day' k, 'héllo ☃'::text l`;
    const [direct, gateway] = await both(async (c) => {
      const simple = await c.query(sql);
      const extended = await c.query({ text: `${sql} where $1::int = 1`, values: [1] });
      const binary = await c.query({
        text: 'select $1::int4 as n, $2::text as t',
        values: [7, null],
        binary: true,
      } as pg.QueryConfig);
      return [
        simple.rows,
        simple.fields.map((f) => [f.name, f.dataTypeID]),
        extended.rows,
        binary.rows,
      ];
    });
    expect(gateway).toEqual(direct);
    expect(gateway[0]).toHaveLength(1);
  });

  it('relays a row over 1 MB in both directions', async () => {
    const payload = 'x'.repeat(1_500_000);
    const gateway = await connect('gateway');
    await gateway.query('insert into big values ($1, $2)', [1, payload]);
    await gateway.query(`insert into big values (2, '${payload}')`);
    const read = 'select id, length(payload) as n, md5(payload) as h, payload from big order by id';
    const [direct, viaGateway] = await both(async (c) => (await c.query(read)).rows);
    expect(viaGateway).toEqual(direct);
    expect(viaGateway.map((r) => r.payload === payload)).toEqual([true, true]);
  });

  it('relays errors with every field', async () => {
    const [direct, gateway] = await both(async (c) => {
      const err = await c
        .query("insert into items values (1, 'dup')")
        .catch((e: unknown) => e as pg.DatabaseError);
      const { code, detail, constraint, schema, table, severity, message, routine } =
        err as pg.DatabaseError;
      const after = await c.query('select 1 as ok');
      return {
        code,
        detail,
        constraint,
        schema,
        table,
        severity,
        message,
        routine,
        ok: after.rows[0].ok,
      };
    });
    expect(gateway).toEqual(direct);
    expect(gateway.code).toBe('23505');
    expect(gateway.constraint).toBe('items_pkey');
  });

  it('relays notices and parameter status changes', async () => {
    const [direct, gateway] = await both(async (c) => {
      const notices: string[] = [];
      c.on('notice', (n) => notices.push(`${n.severity}:${n.code}:${n.message}`));
      await c.query(`do $$ begin raise notice 'hello %', 42; raise warning 'careful'; end $$`);
      await c.query("set application_name = 'changed'");
      const status = (c as unknown as { connection: { parameters?: Record<string, string> } })
        .connection;
      return {
        notices,
        app: (await c.query('show application_name')).rows[0].application_name,
        status: typeof status,
      };
    });
    expect(gateway).toEqual(direct);
    expect(gateway.notices).toEqual(['NOTICE:00000:hello 42', 'WARNING:01000:careful']);
  });

  it('passes LISTEN/NOTIFY through', async () => {
    const listener = await connect('gateway');
    const notifier = await connect('gateway');
    await listener.query('listen gh_channel');
    const received = new Promise<pg.Notification>((resolve) =>
      listener.once('notification', resolve),
    );
    await notifier.query("select pg_notify('gh_channel', 'payload 1')");
    const note = await received;
    expect(note.channel).toBe('gh_channel');
    expect(note.payload).toBe('payload 1');
  });
});

describe('COPY', () => {
  const target = async (via: 'direct' | 'gateway'): Promise<LibpqTarget> =>
    via === 'direct'
      ? { ...LOCAL_POSTGRES, database: db.name }
      : {
          host: gw.host,
          port: gw.port,
          user: 'copier',
          database: db.name,
          password: await gw.token(),
        };

  it('copies 100k rows in and out with psql, identical to a direct connection', async () => {
    const rows = 100_000;
    let data = 'create table copied (id int, label text);\ncopy copied from stdin;\n';
    for (let i = 0; i < rows; i++) data += `${i}\tlabel ${i}\n`;
    data += '\\.\nselect count(*), sum(id) from copied;\n';
    const load = await psql(await target('gateway'), data, ['-v', 'ON_ERROR_STOP=1']);
    expect(load.stderr).toBe('');
    expect(load.stdout).toContain(`COPY ${rows}`);
    expect(load.stdout).toContain(`${rows}|${(rows * (rows - 1)) / 2}`);
    const out = 'copy (select * from copied order by id) to stdout;\n';
    const [direct, gateway] = [
      await psql(await target('direct'), out),
      await psql(await target('gateway'), out),
    ];
    expect(gateway.stdout.length).toBeGreaterThan(1_000_000);
    expect(gateway.stdout).toBe(direct.stdout);
    expect(gateway.stderr).toBe(direct.stderr);
  });

  it('relays a failed COPY FROM and keeps the session usable', async () => {
    const script =
      'copy items (id, name) from stdin;\n10\tten\nnot-a-number\tx\n\\.\nselect count(*) from items;\n';
    const [direct, gateway] = [
      await psql(await target('direct'), script),
      await psql(await target('gateway'), script),
    ];
    expect(gateway.stdout).toBe(direct.stdout);
    expect(gateway.stderr).toBe(direct.stderr);
    expect(gateway.stderr).toContain('22P02');
  });
});

describe('cancel', () => {
  it('cancels pg_sleep(10) through the gateway without exposing the target key', async () => {
    const client = await connect('gateway');
    const key = backendKey(client);
    const { rows } = await client.query('select pg_backend_pid() as pid');
    expect(key.processId).not.toBe(rows[0].pid);
    const started = Date.now();
    const sleeping = client.query('select pg_sleep(10)').catch((e: pg.DatabaseError) => e);
    await waitForActiveQuery(db.name, 'select pg_sleep');
    await sendCancelRequest(gw.host, gw.port, key.processId, key.secretKey);
    const err = (await sleeping) as pg.DatabaseError;
    expect(err.code).toBe('57014');
    expect(Date.now() - started).toBeLessThan(5000);
    expect((await client.query('select 1 as ok')).rows[0].ok).toBe(1);
  });

  it('ignores a cancel with a wrong key', async () => {
    const client = await connect('gateway');
    const key = backendKey(client);
    const sleeping = client.query('select pg_sleep(0.5) as done');
    await waitForActiveQuery(db.name, 'select pg_sleep');
    await sendCancelRequest(gw.host, gw.port, key.processId, key.secretKey ^ 1);
    expect((await sleeping).rows[0].done).toBe('');
  });
});
