import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningDemo, runDemo } from '../../src/demo/run-demo.js';
import { printedConnection, type Ticket, waitForTicket } from './demo-helpers.js';

/**
 * `gatehouse demo` in-process on ephemeral ports: the printed psql credentials work, the sample
 * data is served, and the banner's risky examples are held for review and never reach the
 * embedded database until a reviewer decides (here: denies).
 */
describe('demo', () => {
  let demo: RunningDemo;
  let stateDir: string;
  let banner = '';
  const clients: pg.Client[] = [];

  beforeAll(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'gatehouse-demo-test-'));
    demo = await runDemo({
      stateDir,
      apiListen: '127.0.0.1:0',
      pgListen: '127.0.0.1:0',
      inMemory: true,
      cli: 'gatehouse',
      logger: pino({ level: process.env['GATEHOUSE_TEST_LOG'] ?? 'silent' }),
      print: (text) => {
        banner += text;
      },
    });
  }, 120_000);

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.end().catch(() => {})));
    await demo?.close();
    await rm(stateDir, { recursive: true, force: true });
  });

  async function connectAsPrinted(): Promise<pg.Client> {
    const client = new pg.Client(printedConnection(banner));
    client.on('error', () => {});
    clients.push(client);
    await client.connect();
    return client;
  }

  /** Straight to the embedded database, bypassing the gateway: what really happened there. */
  async function tableExists(name: string): Promise<boolean> {
    const direct = new pg.Client({
      host: demo.target.host,
      port: demo.target.port,
      user: 'postgres',
      database: 'postgres',
    });
    await direct.connect();
    try {
      const result = await direct.query('SELECT to_regclass($1) IS NOT NULL AS present', [name]);
      return result.rows[0].present as boolean;
    } finally {
      await direct.end();
    }
  }

  it('prints the console URL, a psql command with a valid agent token, and a risky example', async () => {
    expect(banner).toContain(demo.gateway.publicUrl);
    const printed = printedConnection(banner);
    expect(printed).toMatchObject({ host: demo.pg.host, port: demo.pg.port, user: 'agent-1' });
    const identity = await demo.gateway.authenticator.authenticate(printed.password);
    expect(identity).toMatchObject({ subject: 'agent-1', agent: true, groups: ['agents'] });
    expect(banner).toContain('DELETE FROM customers;');
    expect(banner).toContain('gatehouse token');
  });

  it('serves the sample data to the printed credentials', async () => {
    const client = await connectAsPrinted();
    const counts = await client.query(
      `SELECT (SELECT count(*) FROM customers)::int AS customers,
              (SELECT count(*) FROM orders)::int AS orders,
              (SELECT count(*) FROM audit_notes)::int AS notes`,
    );
    expect(counts.rows[0]).toEqual({ customers: 50, orders: 150, notes: 40 });
    const rows = await client.query('SELECT id, name FROM customers ORDER BY id LIMIT 3');
    expect(rows.rows.map((r) => r.id)).toEqual([1, 2, 3]);
  });

  it('masks the personal data the banner query reads, by column and in free text', async () => {
    const direct = new pg.Client({
      host: demo.target.host,
      port: demo.target.port,
      user: 'postgres',
    });
    await direct.connect();
    const sql = 'SELECT name, email, ssn, card_number FROM customers ORDER BY id LIMIT 5';
    const notesSql = 'SELECT note FROM audit_notes ORDER BY id';
    const [raw, rawNotes] = [await direct.query(sql), await direct.query(notesSql)];
    await direct.end();

    const client = await connectAsPrinted();
    const masked = await client.query(sql);
    expect(masked.rows).toHaveLength(5);
    masked.rows.forEach((row, i) => {
      const original = raw.rows[i];
      expect(row.name).toBe(original.name);
      expect(row.email).not.toContain('@');
      for (const column of ['ssn', 'card_number']) {
        expect(row[column]).not.toBe(original[column]);
        expect(row[column].slice(-4)).toBe(original[column].slice(-4));
      }
    });
    const notes = (await client.query(notesSql)).rows.map((r) => r.note as string);
    const leaked = rawNotes.rows
      .flatMap((r) => (r.note as string).match(/[\w.]+@example\.(com|org|net)/g) ?? [])
      .filter((email) => notes.some((note) => note.includes(email)));
    expect(leaked).toEqual([]);
  });

  it.each([
    ['DROP TABLE orders;', 'destructive-changes-need-a-dba', 'orders'],
    ['DELETE FROM customers;', 'unbounded-writes-need-review', 'customers'],
  ])(
    'holds "%s" from an agent for review; nothing runs; a denial ends it',
    async (sql, rule, table) => {
      const client = await connectAsPrinted();
      const before = await client.query(`SELECT count(*)::int AS n FROM ${table}`);
      const outcome = client.query(sql).then(
        () => undefined,
        (err: pg.DatabaseError) => err,
      );
      const reviewer = await demo.issuer.mint('alice', { groups: ['dba'] });
      const ticket: Ticket = await waitForTicket(demo.gateway.apiUrl, reviewer, sql);
      expect(ticket).toMatchObject({ connector: 'demo', rule, status: 'pending' });
      expect(ticket.requester).toMatchObject({ subject: 'agent-1', agent: true });
      expect(await tableExists(table)).toBe(true);

      const denied = await fetch(`${demo.gateway.apiUrl}/api/approvals/${ticket.id}/deny`, {
        method: 'POST',
        headers: { authorization: `Bearer ${reviewer}`, 'content-type': 'application/json' },
        body: JSON.stringify({ rationale: 'not in the demo' }),
      });
      expect(denied.status).toBe(200);
      const error = await outcome;
      expect(error?.code).toBe('42501');
      expect(`${error?.message} ${error?.detail ?? ''}`).toContain(ticket.id);

      const after = await (await connectAsPrinted()).query(
        `SELECT count(*)::int AS n FROM ${table}`,
      );
      expect(after.rows[0].n).toBe(before.rows[0].n);
    },
  );
});
