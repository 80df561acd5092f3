import { describe, expect, it } from 'vitest';
import type { NewAuditEvent } from '../record/audit-event.js';
import { GENESIS_HASH, recordHash } from '../record/chain-hash.js';
import {
  type AsyncChainStatements,
  appendToChain,
  appendToChainSync,
  type ChainBatch,
  type ChainHead,
  type ChainRow,
  type ChainStatements,
  factKey,
} from './chain-append.js';

const event = (commandSeq: number, kind = 'command'): NewAuditEvent => ({
  kind,
  sessionId: 's1',
  commandSeq,
  at: commandSeq,
  connector: 'pg',
  subject: 'agent',
  decision: 'allow',
  data: '{}',
});

/** An in-memory chain: the statements the append runs, and what they did. */
function memoryChain(headRow: 'present' | 'missing' = 'present') {
  const head = headRow === 'present' ? genesis() : undefined;
  const rows: ChainRow[] = [];
  const calls: string[] = [];
  const statements: ChainStatements = {
    head: () => {
      calls.push('head');
      return head && { ...head };
    },
    stored: (events) => {
      calls.push(`stored ${events.length}`);
      const keys = new Set(
        rows.map((row) => `${row.kind}\u0000${row.session_id}\u0000${row.command_seq}`),
      );
      return new Set(events.map(factKey).filter((key) => keys.has(key)));
    },
    insert: (inserted) => {
      calls.push(`insert ${inserted.length}`);
      rows.push(...inserted);
    },
    moveHead: (seq, hash) => {
      calls.push('moveHead');
      if (head) Object.assign(head, { headSeq: seq, headHash: hash });
    },
  };
  const async: AsyncChainStatements = {
    head: async () => statements.head(),
    stored: async (events) => statements.stored(events),
    insert: async (inserted) => statements.insert(inserted),
    moveHead: async (seq, hash) => statements.moveHead(seq, hash),
  };
  return { rows, calls, statements, async };
}

function genesis(): ChainHead {
  return { headSeq: 0, headHash: GENESIS_HASH, baseSeq: 0, baseHash: GENESIS_HASH };
}

const batch = (events: NewAuditEvent[], retried = events.map(() => false)): ChainBatch => ({
  events,
  retried,
  recordedAt: 100,
});

describe('appendToChain', () => {
  it('hashes each record onto the previous one, inserts them, and moves the head', () => {
    const chain = memoryChain();
    const { written, head } = appendToChainSync(
      chain.statements,
      batch([event(1), event(2)]),
      recordHash,
    );
    expect(written).toBe(2);
    expect(chain.calls).toEqual(['head', 'insert 2', 'moveHead']);
    const [first, second] = chain.rows;
    expect(first).toMatchObject({ seq: 1, recorded_at: 100, prev_hash: GENESIS_HASH });
    expect(first?.hash).toBe(recordHash(GENESIS_HASH, { ...event(1), recordedAt: 100 }));
    expect(second).toMatchObject({ seq: 2, prev_hash: first?.hash });
    expect(head).toMatchObject({ headSeq: 2, headHash: second?.hash });
  });

  it('writes the same rows synchronously and asynchronously', async () => {
    const sync = memoryChain();
    const async = memoryChain();
    const events = [event(1), event(2, 'outcome'), event(3)];
    const recordedAtEach = [5, 6, 7];
    appendToChainSync(sync.statements, { ...batch(events), recordedAtEach }, recordHash);
    await appendToChain(async.async, { ...batch(events), recordedAtEach }, recordHash);
    expect(async.rows).toEqual(sync.rows);
    expect(sync.rows.map((row) => row.recorded_at)).toEqual([5, 6, 7]);
  });

  it('looks up retried records only, and leaves out those the chain holds', () => {
    const chain = memoryChain();
    appendToChainSync(chain.statements, batch([event(1)]), recordHash);
    chain.calls.length = 0;
    const { written } = appendToChainSync(
      chain.statements,
      batch([event(1), event(2), event(2)], [true, false, true]),
      recordHash,
    );
    // 1 is stored already; the second 2 repeats the first one of this batch.
    expect(written).toBe(1);
    expect(chain.calls).toEqual(['head', 'stored 2', 'insert 1', 'moveHead']);
    expect(chain.rows.map((row) => row.command_seq)).toEqual([1, 2]);
  });

  it('neither inserts nor moves the head when nothing is left to append', () => {
    const chain = memoryChain();
    appendToChainSync(chain.statements, batch([event(1)]), recordHash);
    chain.calls.length = 0;
    expect(
      appendToChainSync(chain.statements, batch([event(1)], [true]), recordHash),
    ).toMatchObject({
      written: 0,
      head: { headSeq: 1 },
    });
    expect(chain.calls).toEqual(['head', 'stored 1']);
  });

  it('appends after a head the caller holds without reading it again', async () => {
    const chain = memoryChain();
    await appendToChain(chain.async, batch([event(1)]), recordHash, genesis());
    expect(chain.calls).toEqual(['insert 1', 'moveHead']);
  });

  it('fails when the head row is missing', () => {
    const chain = memoryChain('missing');
    expect(() => appendToChainSync(chain.statements, batch([event(1)]), recordHash)).toThrow(
      /audit chain head row is missing/,
    );
    expect(chain.rows).toEqual([]);
  });
});
