import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { NewAuditEvent } from '../record/audit-event.js';
import { AuditJournal } from './audit-journal.js';
import type { ChainBatch } from './chain-append.js';
import { JournalIngestor } from './journal-ingestor.js';

const event = (commandSeq: number): NewAuditEvent => ({
  kind: 'command',
  sessionId: 's1',
  commandSeq,
  at: 1,
  connector: 'pg',
  subject: 'agent',
  decision: 'allow',
  data: '{}',
});

describe('JournalIngestor', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  /** A real journal; the chain is a recorder of the transactions it is asked for. */
  function ingestor(coalesceMs: number) {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-ingestor-'));
    dirs.push(dir);
    const journal = new AuditJournal(dir);
    const transactions: number[][] = [];
    const chain = new JournalIngestor(journal, {
      append: async (batch: ChainBatch) => {
        transactions.push(batch.events.map((e) => e.commandSeq ?? 0));
      },
      logger: pino({ level: 'silent' }),
      retryMs: { min: 10, max: 20 },
      coalesceMs,
    });
    let next = 1;
    const add = () => {
      const events = [event(next++)];
      chain.add({ segment: journal.append(events, 1), recordedAt: 1, events, retried: [false] });
    };
    return { chain, transactions, add };
  }

  it('lets records journalled within the coalescing wait share one transaction', async () => {
    const { chain, transactions, add } = ingestor(200);
    add();
    await sleep(5);
    add();
    add();
    expect(transactions).toEqual([]);
    await sleep(400);
    expect(transactions).toEqual([[1, 2, 3]]);
    expect(chain.backlog).toBe(0);
  });

  it('caughtUp chains what was journalled before it at once, without the wait', async () => {
    const { chain, transactions, add } = ingestor(10_000);
    add();
    add();
    const started = Date.now();
    expect(await chain.caughtUp(1000)).toBe(true);
    expect(Date.now() - started).toBeLessThan(500);
    expect(transactions).toEqual([[1, 2]]);
  });

  it('drained waits for everything, and a stopped ingestor starts nothing', async () => {
    const { chain, transactions, add } = ingestor(10_000);
    add();
    expect(await chain.drained(1000)).toBe(true);
    add();
    await chain.stop();
    expect(await chain.caughtUp(100)).toBe(false);
    expect(transactions).toEqual([[1]]);
  });
});
