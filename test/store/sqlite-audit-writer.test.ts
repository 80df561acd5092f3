import { statSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyChain } from '../../src/audit/read/chain-verify.js';
import { purgeBefore } from '../../src/audit/read/retention.js';
import { getSession } from '../../src/audit/read/session-queries.js';
import { StoreAuditSink } from '../../src/audit/record/store-audit-sink.js';
import { SqliteAuditWriter } from '../../src/audit/write/sqlite-audit-writer.js';
import { openChainConnection } from '../../src/audit/write/sqlite-chain-writer.js';
import { openStore, type Store } from '../../src/store/index.js';
import { backends, type StoreDatabase } from './backends.js';
import { commandRecord, sessionRecord, sleep, waitUntil } from './fixtures.js';

const sqlite = backends.find((backend) => backend.name === 'sqlite')!;

/** Drives `clients` sessions of strict commands (and their outcomes) for `ms`. */
async function drive(sink: StoreAuditSink, clients: number, ms: number): Promise<number> {
  const until = Date.now() + ms;
  let commands = 0;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      const session = sessionRecord();
      await sink.sessionStarted(session);
      for (let seq = 1; Date.now() < until; seq++) {
        await sink.commandDecided(commandRecord(session.id, seq));
        sink.commandCompleted(session.id, seq, { tag: 'SELECT 1', rows: 1, durationMs: 0 });
        commands++;
      }
      await sink.sessionEnded(session.id, 'done', Date.now());
    }),
  );
  return commands;
}

describe('SQLite audit writer thread', () => {
  let database: StoreDatabase;
  let store: Store;
  let path: string;
  const closers: Array<() => Promise<void>> = [];

  beforeEach(async () => {
    database = await sqlite.create();
    path = database.url.slice('sqlite:'.length);
    store = await openStore(database.url);
  });
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
    await database.repair();
    await store.close();
    await database.drop();
  });
  const sinkWith = (options: ConstructorParameters<typeof StoreAuditSink>[1] = {}) => {
    const sink = new StoreAuditSink(store, options);
    closers.push(() => sink.close(2000));
    return sink;
  };

  it('commits through the thread, continuing a chain the in-process path began', async () => {
    const kysely = new StoreAuditSink({ db: store.db, dialect: store.dialect });
    const first = sessionRecord();
    await kysely.sessionStarted(first);
    await kysely.commandDecided(commandRecord(first.id, 1));
    await kysely.close();

    const sink = sinkWith();
    await sink.commandDecided(commandRecord(first.id, 2));
    await drive(sink, 4, 200);
    await sink.flush();
    expect(sink.stats().checkpoints).toBeDefined(); // the thread, not the Kysely path
    const records = sink.stats().records + 2;
    expect(await verifyChain(store.db)).toMatchObject({ ok: true, records });
    expect((await getSession(store, first.id))?.commands.map((c) => c.seq)).toEqual([1, 2]);
  });

  it('opens its connection without automatic checkpoints, at the store synchronous level', () => {
    for (const synchronous of ['normal', 'full'] as const) {
      const db = openChainConnection(path, { busyTimeoutMs: 100, synchronous });
      try {
        expect(db.prepare('PRAGMA synchronous').get()).toEqual({
          synchronous: synchronous === 'full' ? 2 : 1,
        });
        expect(db.prepare('PRAGMA wal_autocheckpoint').get()).toEqual({ wal_autocheckpoint: 0 });
        expect(db.prepare('PRAGMA journal_mode').get()).toEqual({ journal_mode: 'wal' });
      } finally {
        db.close();
      }
    }
  });

  it('rejects strict waiters with store_unavailable when the thread dies mid-commit, then recovers', async () => {
    const writer = new SqliteAuditWriter(store.sqlite!);
    // The direct path (synchronous full); with the journal see audit-journal.test.ts.
    const sink = sinkWith({ sqliteWriter: writer, retryMs: { min: 10, max: 20 }, journal: false });
    const session = sessionRecord();
    await sink.sessionStarted(session);
    await sink.commandDecided(commandRecord(session.id, 1));
    sink.commandCompleted(session.id, 1, { tag: 'SELECT 1', rows: 1, durationMs: 2 });

    // Another connection holds the write lock, so the next commit is surely in flight.
    await database.break();
    const refused = sink.commandDecided(commandRecord(session.id, 2)).catch((err: unknown) => err);
    await sleep(50);
    const terminated = writer.terminate();
    await database.repair();
    await terminated;
    expect(await refused).toMatchObject({ code: 'store_unavailable' });

    await expect(sink.commandDecided(commandRecord(session.id, 3))).resolves.toBeUndefined();
    expect(await sink.flush(5000)).toBe(true);
    const stored = await getSession(store, session.id);
    // The outcome of 1 was retried (once), the refused command 2 never stored.
    expect(stored?.commands.map((c) => [c.seq, c.outcome?.durationMs])).toEqual([
      [1, 2],
      [3, undefined],
    ]);
    expect(await verifyChain(store.db)).toMatchObject({ ok: true });
    expect(sink.stats().healthy).toBe(true);
  });

  it('takes turns with retention purges on the main connection without breaking the chain', async () => {
    const sink = sinkWith();
    let purging = true;
    let purged = 0;
    const purges = (async () => {
      while (purging) {
        // Everything recorded until now, a few records per transaction.
        purged += await purgeBefore(store, Date.now() + 1, { chunk: 7 });
        await sleep(5);
      }
    })();
    const commands = await drive(sink, 4, 600);
    purging = false;
    await purges;
    await sink.flush();
    expect(commands).toBeGreaterThan(50);
    expect(purged).toBeGreaterThan(0);
    const report = await verifyChain(store.db);
    expect(report).toMatchObject({ ok: true });
    expect(report.head.seq).toBeGreaterThan(sink.stats().records); // every record plus purges
  });

  it('keeps the WAL bounded under sustained writes', async () => {
    const writer = new SqliteAuditWriter(store.sqlite!, {
      walLimitFrames: 128,
      checkpointIntervalMs: 10,
    });
    const sink = sinkWith({ sqliteWriter: writer });
    let walMax = 0;
    const sampler = setInterval(() => {
      walMax = Math.max(walMax, statSync(`${path}-wal`, { throwIfNoEntry: false })?.size ?? 0);
    }, 5);
    try {
      await drive(sink, 8, 2500);
    } finally {
      clearInterval(sampler);
    }
    const { commits, checkpoints } = sink.stats();
    // Each commit adds several pages (table, two indexes, head; about 6 measured): unchecked,
    // 400 commits would leave a WAL of about 10 MiB.
    expect(commits).toBeGreaterThan(400);
    expect(checkpoints?.runs).toBeGreaterThan(0);
    expect(checkpoints?.writerRuns).toBeGreaterThan(0);
    // The limit is 128 pages (512 KiB); checkpoints lag behind on a machine busy with other
    // work, so the WAL overshoots (8-9 MiB seen with both cores taken by other processes),
    // while unchecked it would hold every page written: tens of MiB in this run.
    expect(walMax).toBeLessThan(16 * 1024 * 1024);
    // With the journal the chain may still be catching up: verify once it has (verify reads
    // without a snapshot, so rows appended while it walks would count as beyond the head).
    expect(await sink.flush(10_000)).toBe(true);
    expect(await verifyChain(store.db)).toMatchObject({ ok: true });
  });

  it('lets other connections read what it committed while it writes', async () => {
    // The direct path: a record is in the chain when its promise resolved (with the journal,
    // after `flush`: audit-journal.test.ts).
    const sink = sinkWith({ journal: false });
    const session = sessionRecord();
    await sink.sessionStarted(session);
    const reader = new DatabaseSync(path, { readOnly: true });
    try {
      for (let seq = 1; seq <= 20; seq++) {
        await sink.commandDecided(commandRecord(session.id, seq));
        const row = reader
          .prepare(
            "SELECT count(*) AS n FROM audit_events WHERE session_id = ? AND kind = 'command'",
          )
          .get(session.id);
        expect(row).toEqual({ n: seq });
      }
    } finally {
      reader.close();
    }
    expect(await waitUntil(async () => sink.stats().queued === 0)).toBe(true);
  });
});
