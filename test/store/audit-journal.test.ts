import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyChain } from '../../src/audit/read/chain-verify.js';
import { unchainedJournalRecords } from '../../src/audit/read/journal-backlog.js';
import { getSession } from '../../src/audit/read/session-queries.js';
import { commandEvent, sessionStartEvent } from '../../src/audit/record/audit-event.js';
import { StoreAuditSink } from '../../src/audit/record/store-audit-sink.js';
import { encodeEntry, journalDir, readJournal } from '../../src/audit/write/audit-journal.js';
import { SqliteAuditWriter } from '../../src/audit/write/sqlite-audit-writer.js';
import { openStore, type Store } from '../../src/store/index.js';
import { backends, type StoreDatabase } from './backends.js';
import { commandRecord, sessionRecord, sleep, waitUntil } from './fixtures.js';

const sqlite = backends.find((backend) => backend.name === 'sqlite')!;

/** The chain's rows in order: kind, session, command seq. */
async function chainRows(store: Store): Promise<string[]> {
  const rows = await store.db
    .selectFrom('audit_events')
    .select(['kind', 'session_id', 'command_seq'])
    .orderBy('seq')
    .execute();
  return rows.map((row) => `${row.kind}:${row.session_id}:${row.command_seq ?? ''}`);
}

describe('SQLite audit journal', () => {
  let database: StoreDatabase;
  let store: Store;
  let dir: string;
  const closers: Array<() => Promise<void>> = [];

  beforeEach(async () => {
    database = await sqlite.create();
    store = await openStore(database.url, { busyTimeoutMs: 50 });
    dir = journalDir(store.sqlite!.path);
  });
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
    await database.repair();
    await store.close();
    await database.drop();
  });
  const sinkWith = (options: ConstructorParameters<typeof StoreAuditSink>[1] = {}) => {
    const sink = new StoreAuditSink(store, { retryMs: { min: 10, max: 40 }, ...options });
    closers.push(() => sink.close(2000));
    return sink;
  };
  const journalled = () =>
    readJournal(dir).flatMap((segment) =>
      segment.entries.map(
        (e) => `${e.event.kind}:${e.event.sessionId}:${e.event.commandSeq ?? ''}`,
      ),
    );

  it('has a strict record in the journal when its promise resolves, and in the chain after flush', async () => {
    const sink = sinkWith();
    const session = sessionRecord();
    await sink.sessionStarted(session);
    await sink.commandDecided(commandRecord(session.id, 1));
    // Read at once, before the event loop turns again: the journal write is the commit.
    expect(journalled()).toContain(`command:${session.id}:1`);
    expect(await sink.flush(5000)).toBe(true);
    expect(await chainRows(store)).toEqual([
      `session_start:${session.id}:`,
      `command:${session.id}:1`,
    ]);
    expect(await verifyChain(store.db)).toMatchObject({ ok: true, records: 2 });
    expect(sink.stats().journal).toEqual({ backlog: 0, segments: 1 });
    await sink.close();
    expect(existsSync(dir)).toBe(false);
  });

  it('chains what a crashed run left in the journal once, in journal order, ignoring a torn line', async () => {
    // A first run whose records were chained, then a crash that left them and later ones journalled.
    const first = sinkWith();
    const session = sessionRecord();
    await first.sessionStarted(session);
    await first.commandDecided(commandRecord(session.id, 1));
    expect(await first.flush(5000)).toBe(true);
    await first.close();

    const chained = [sessionStartEvent(session), commandEvent(commandRecord(session.id, 1))];
    const later = [2, 3].map((seq) => commandEvent(commandRecord(session.id, seq)));
    const torn = encodeEntry(5, commandEvent(commandRecord(session.id, 4)));
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, '000000000007.journal'),
      [...chained, ...later].map((event) => encodeEntry(4, event)).join('') + torn.slice(0, 40),
    );
    writeFileSync(
      join(dir, '000000000008.journal'),
      encodeEntry(6, commandEvent(commandRecord(session.id, 5))),
    );

    // What `audit verify` reports: the journalled records the chain lacks (2, 3 and 5).
    expect(await unchainedJournalRecords(store.db, dir)).toBe(3);
    const second = sinkWith();
    // New records wait until the recovered ones are chained, so they come after them.
    await second.commandDecided(commandRecord(session.id, 6));
    expect(await second.flush(5000)).toBe(true);
    expect(await chainRows(store)).toEqual([
      `session_start:${session.id}:`,
      ...[1, 2, 3, 5, 6].map((n) => `command:${session.id}:${n}`),
    ]);
    expect(await verifyChain(store.db)).toMatchObject({ ok: true, records: 6 });
    expect(readdirSync(dir)).toHaveLength(1); // the second run's own open segment
    expect(await unchainedJournalRecords(store.db, dir)).toBe(0);
  });

  it('recovers the records of a run whose writer thread died before chaining them', async () => {
    const writer = new SqliteAuditWriter(store.sqlite!);
    const crashed = new StoreAuditSink(store, { sqliteWriter: writer });
    const session = sessionRecord();
    await database.break();
    await crashed.sessionStarted(session);
    await crashed.commandDecided(commandRecord(session.id, 1));
    await writer.close(); // the thread is gone before the lock is released: nothing chained
    await database.repair();
    expect(journalled()).toEqual([`session_start:${session.id}:`, `command:${session.id}:1`]);

    const next = sinkWith();
    expect(await next.flush(5000)).toBe(true);
    expect(await chainRows(store)).toEqual([
      `session_start:${session.id}:`,
      `command:${session.id}:1`,
    ]);
    expect(await verifyChain(store.db)).toMatchObject({ ok: true });
  });

  it('refuses with store_unavailable when the journal cannot be written, and recovers', async () => {
    // One record per segment, so every write opens a file in the journal directory.
    const sink = sinkWith({ journalSegmentBytes: 1 });
    const session = sessionRecord();
    await sink.sessionStarted(session);
    await sink.commandDecided(commandRecord(session.id, 1));
    renameSync(dir, `${dir}.moved`);
    writeFileSync(dir, 'not a directory');
    await expect(sink.commandDecided(commandRecord(session.id, 2))).rejects.toMatchObject({
      code: 'store_unavailable',
    });
    rmSync(dir);
    renameSync(`${dir}.moved`, dir);
    await expect(sink.commandDecided(commandRecord(session.id, 3))).resolves.toBeUndefined();
    expect(await sink.flush(5000)).toBe(true);
    expect((await getSession(store, session.id))?.commands.map((c) => c.seq)).toEqual([1, 3]);
    expect(await verifyChain(store.db)).toMatchObject({ ok: true });
  });

  it('refuses new records while the chain cannot take them, then resumes without loss or duplicates', async () => {
    const sink = sinkWith();
    const session = sessionRecord();
    await sink.sessionStarted(session);
    await database.break();
    // Journalled, so accepted; chaining it fails once the busy timeout ran out.
    await sink.commandDecided(commandRecord(session.id, 1));
    sink.commandCompleted(session.id, 1, { tag: 'SELECT 1', rows: 1, durationMs: 3 });
    expect(await waitUntil(async () => !sink.stats().healthy, 5000)).toBe(true);
    await expect(sink.commandDecided(commandRecord(session.id, 2))).rejects.toMatchObject({
      code: 'store_unavailable',
    });
    await expect(sink.sessionStarted(sessionRecord())).rejects.toMatchObject({
      code: 'store_unavailable',
    });
    await database.repair();
    expect(
      await waitUntil(async () => {
        try {
          await sink.commandDecided(commandRecord(session.id, 3));
          return true;
        } catch {
          return false;
        }
      }, 5000),
    ).toBe(true);
    expect(await sink.flush(5000)).toBe(true);
    const stored = await getSession(store, session.id);
    expect(stored?.commands.map((c) => [c.seq, c.outcome?.durationMs])).toEqual([
      [1, 3],
      [3, undefined],
    ]);
    expect(await verifyChain(store.db)).toMatchObject({ ok: true });
    expect(sink.stats().healthy).toBe(true);
  });

  it('chains each record once when the writer thread dies mid-ingestion', async () => {
    const writer = new SqliteAuditWriter(store.sqlite!);
    const sink = sinkWith({ sqliteWriter: writer });
    const session = sessionRecord();
    await sink.sessionStarted(session);
    await database.break();
    await sink.commandDecided(commandRecord(session.id, 1));
    await sleep(20); // the ingestion is in flight, waiting for the lock
    const terminated = writer.terminate();
    await database.repair();
    await terminated;
    expect(await sink.flush(5000)).toBe(true);
    expect(await chainRows(store)).toEqual([
      `session_start:${session.id}:`,
      `command:${session.id}:1`,
    ]);
    expect(await verifyChain(store.db)).toMatchObject({ ok: true });
  });

  it('starts new segments past the size limit and deletes chained ones', async () => {
    const sink = sinkWith({ journalSegmentBytes: 2000 });
    const session = sessionRecord();
    await sink.sessionStarted(session);
    for (let seq = 1; seq <= 40; seq++) await sink.commandDecided(commandRecord(session.id, seq));
    expect(await sink.flush(5000)).toBe(true);
    // Each segment holds about 2 kB: many were written, all but the open one are gone.
    const names = readdirSync(dir);
    expect(names).toHaveLength(1);
    expect(Number.parseInt(names[0]!, 10)).toBeGreaterThan(5);
    expect(readFileSync(join(dir, names[0]!), 'utf8').length).toBeLessThan(4000);
    expect(sink.stats().journal).toEqual({ backlog: 0, segments: 1 });
    expect(await verifyChain(store.db)).toMatchObject({ ok: true, records: 41 });
    await sink.close();
    expect(existsSync(dir)).toBe(false);
  });

  it('keeps unchained records in the journal when closing while the store is locked', async () => {
    const sink = sinkWith();
    const session = sessionRecord();
    await sink.sessionStarted(session);
    await database.break();
    await sink.commandDecided(commandRecord(session.id, 1));
    await sink.close(200);
    await database.repair();
    expect(journalled()).toContain(`command:${session.id}:1`);
    const next = sinkWith();
    expect(await next.flush(5000)).toBe(true);
    expect((await getSession(store, session.id))?.commands.map((c) => c.seq)).toEqual([1]);
  });

  it('keeps the direct path for synchronous full', async () => {
    await store.close();
    store = await openStore(database.url, { synchronous: 'full' });
    const sink = sinkWith();
    const session = sessionRecord();
    await sink.sessionStarted(session);
    expect(existsSync(dir)).toBe(false);
    expect(sink.stats().journal).toBeUndefined();
  });
});
