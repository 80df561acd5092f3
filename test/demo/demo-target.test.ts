import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoTarget, startDemoTarget } from '../../src/demo/demo-target.js';

async function connect(target: DemoTarget): Promise<pg.Client> {
  const client = new pg.Client({
    host: target.host,
    port: target.port,
    user: target.user,
    database: target.database,
  });
  client.on('error', () => {});
  await client.connect();
  return client;
}

async function count(client: pg.Client, table: string): Promise<number> {
  return (await client.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n;
}

/** The embedded PostgreSQL: a persistent data dir, its lock and repair, and several clients. */
describe('demo target', () => {
  let dir: string;
  let dataDir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-demo-target-'));
    dataDir = join(dir, 'pgdata');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('persists changes, serves several clients, holds others back during a transaction', async () => {
    const target = await startDemoTarget({ dataDir });
    try {
      // A second demo on the same files would corrupt them: refused while this one runs.
      await expect(startDemoTarget({ dataDir })).rejects.toThrow(/in use by process/);
      const [a, b] = [await connect(target), await connect(target)];
      expect(await count(a, 'customers')).toBe(50);
      await a.query("UPDATE customers SET name = 'Changed' WHERE id = 1");

      await a.query('BEGIN');
      await a.query('DELETE FROM orders');
      let bDone = false;
      const bCount = count(b, 'orders').then((n) => {
        bDone = true;
        return n;
      });
      await new Promise((r) => setTimeout(r, 300));
      expect(bDone).toBe(false);
      await a.query('ROLLBACK');
      expect(await bCount).toBe(150);

      // Two clients with extended-protocol queries in flight at once get their own answers.
      const run = async (client: pg.Client, offset: number) => {
        const out: number[] = [];
        for (let i = 0; i < 50; i++) {
          out.push((await client.query('SELECT $1::int * 2 AS v', [offset + i])).rows[0].v);
        }
        return out;
      };
      const [fromA, fromB] = await Promise.all([run(a, 0), run(b, 1000)]);
      expect(fromA).toEqual(Array.from({ length: 50 }, (_, i) => i * 2));
      expect(fromB).toEqual(Array.from({ length: 50 }, (_, i) => (1000 + i) * 2));
      await Promise.all([a.end(), b.end()]);
    } finally {
      await target.close();
    }

    const again = await startDemoTarget({ dataDir });
    try {
      const client = await connect(again);
      const row = await client.query('SELECT name FROM customers WHERE id = 1');
      expect(row.rows[0].name).toBe('Changed');
      await client.end();
    } finally {
      await again.close();
    }
  }, 120_000);

  it('re-creates a dropped demo table at the next start', async () => {
    const target = await startDemoTarget({ dataDir });
    try {
      const client = await connect(target);
      await client.query('DROP TABLE orders');
      await client.end();
    } finally {
      await target.close();
    }
    const again = await startDemoTarget({ dataDir });
    try {
      const client = await connect(again);
      expect(await count(client, 'orders')).toBe(150);
      expect(await count(client, 'customers')).toBe(50);
      await client.end();
    } finally {
      await again.close();
    }
  }, 120_000);

  it('rebuilds a data dir it cannot open', async () => {
    await writeFile(join(dataDir, 'global', 'pg_control'), 'not a control file');
    const target = await startDemoTarget({ dataDir });
    try {
      const client = await connect(target);
      expect(await count(client, 'customers')).toBe(50);
      await client.end();
    } finally {
      await target.close();
    }
  }, 120_000);
});
