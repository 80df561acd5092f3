/**
 * /metrics carries what an operator alerts on (docs/operations.md): sessions, commands by
 * decision, the gate's latency, audit commit latency and batch size, tickets by state and store
 * errors — read off a real gateway after real traffic.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { createDatabase, type TestDatabase } from '../helpers/pg-db.js';
import { requirePostgres } from '../helpers/services.js';

const ready = await requirePostgres();

/** The value of one sample line, e.g. `gatehouse_tickets{state="pending"}`. */
function sample(text: string, name: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

describe.skipIf(!ready)('gateway metrics', () => {
  let target: TestDatabase | undefined;
  let gw: TestGateway | undefined;
  beforeAll(async () => {
    target = await createDatabase('gh_metrics');
    gw = await startTestGateway({
      database: target.name,
      rules: [
        {
          name: 'drops-need-review',
          when: { statement: ['drop_table'] },
          action: 'review',
          review: { approvers: ['dba'], wait: '1s' },
        },
      ],
    });
  });
  afterAll(async () => {
    try {
      await gw?.close();
    } finally {
      await target?.drop();
    }
  });

  const scrape = async () => {
    const response = await fetch(`${gw!.gateway.apiUrl}/metrics`);
    expect(response.status).toBe(200);
    return response.text();
  };

  it('counts sessions, decisions, gate latency, audit commits and tickets by state', async () => {
    const client = new pg.Client(await gw!.clientConfig('metrics-agent', { agent: true }));
    client.on('error', () => {});
    await client.connect();
    try {
      await client.query('select 1');
      await client.query('create table held_here (id int)');
      // Held until the rule's 1 s wait ends: a pending ticket stays behind.
      await expect(client.query('drop table held_here')).rejects.toThrow(/approval|review/);
    } finally {
      await client.end();
    }
    const text = await scrape();
    expect(sample(text, 'gatehouse_sessions_total{connector="pg",outcome="opened"}')).toBe(1);
    expect(sample(text, 'gatehouse_commands_total{connector="pg",decision="allow"}')).toBe(2);
    expect(sample(text, 'gatehouse_commands_total{connector="pg",decision="review"}')).toBe(1);
    expect(sample(text, 'gatehouse_gate_latency_seconds_count{connector="pg"}')).toBe(2);
    expect(sample(text, 'gatehouse_audit_commit_seconds_count{outcome="ok"}')).toBeGreaterThan(0);
    expect(sample(text, 'gatehouse_audit_batch_records_count')).toBeGreaterThan(0);
    expect(sample(text, 'gatehouse_tickets{state="pending"}')).toBe(1);
    expect(sample(text, 'gatehouse_approval_wait_seconds_count{connector="pg"}')).toBe(1);
    expect(text).not.toMatch(/gatehouse_store_errors_total\{[^}]*\} [1-9]/);
  });
});
