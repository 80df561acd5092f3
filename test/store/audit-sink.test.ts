import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { getSession } from '../../src/audit/read/session-queries.js';
import { StoreAuditSink } from '../../src/audit/record/store-audit-sink.js';
import { GatehouseError } from '../../src/core/errors.js';
import { openStore, type Store } from '../../src/store/index.js';
import { backends, type StoreDatabase } from './backends.js';
import { commandRecord, sessionRecord, sleep, waitUntil } from './fixtures.js';

for (const backend of backends) {
  describe.skipIf(backend.unavailable !== undefined)(`StoreAuditSink on ${backend.name}`, () => {
    let database: StoreDatabase;
    let store: Store;
    const sinks: StoreAuditSink[] = [];
    const sinkWith = (options: ConstructorParameters<typeof StoreAuditSink>[1] = {}) => {
      const sink = new StoreAuditSink(store, options);
      sinks.push(sink);
      return sink;
    };
    const commandCount = async (sessionId: string) =>
      (await getSession(store, sessionId))?.commands.length ?? 0;

    beforeAll(async () => {
      database = await backend.create();
      // A short busy timeout so a locked SQLite file fails fast; PostgreSQL gives up connecting quickly.
      store = await openStore(database.url, { busyTimeoutMs: 50, connectTimeoutMs: 1000 });
    });
    afterEach(async () => {
      await database.repair();
      await Promise.all(sinks.splice(0).map((sink) => sink.close(2000)));
    });
    afterAll(async () => {
      await store?.close();
      await database?.drop();
    });

    it('writes concurrent records in few transactions', async () => {
      const sink = sinkWith();
      const session = sessionRecord();
      await sink.sessionStarted(session);
      const before = sink.stats().commits;
      await Promise.all(
        Array.from({ length: 300 }, (_, i) =>
          sink.commandDecided(commandRecord(session.id, i + 1)),
        ),
      );
      const stats = sink.stats();
      expect(stats.commits - before).toBe(1);
      expect(stats.maxBatchSize).toBe(300);
      expect(stats.records).toBe(301);
      // With the SQLite journal, committed means journalled; the chain has it after flush.
      expect(await sink.flush(5000)).toBe(true);
      expect(await commandCount(session.id)).toBe(300);
    });

    // SQLite commits synchronously (node:sqlite), so nothing can arrive mid-commit there;
    // on PostgreSQL a lock held by another connection keeps the first commit in flight.
    it.runIf(backend.name === 'postgres')(
      'groups what arrives while a commit is in flight',
      async () => {
        const sink = sinkWith();
        const session = sessionRecord();
        await sink.sessionStarted(session);
        const locker = new pg.Client({ connectionString: database.url });
        await locker.connect();
        try {
          await locker.query('begin');
          await locker.query('lock table audit_chain in exclusive mode');
          const first = sink.commandDecided(commandRecord(session.id, 1));
          const waiting = async () => {
            const result = await locker.query(
              "select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'",
            );
            return result.rows[0].n > 0;
          };
          expect(await waitUntil(waiting)).toBe(true);
          const rest = Array.from({ length: 40 }, (_, i) =>
            sink.commandDecided(commandRecord(session.id, i + 2)),
          );
          await sleep(20);
          expect(sink.stats()).toMatchObject({ commits: 1, queued: 40 });
          await locker.query('commit');
          await Promise.all([first, ...rest]);
        } finally {
          await locker.end();
        }
        expect(sink.stats()).toMatchObject({
          commits: 3,
          records: 42,
          maxBatchSize: 40,
          batchSizes: { 1: 2, 64: 1 },
        });
      },
    );

    // The server going away under a commit in flight: the connection is checked out of the
    // pool, so only our own listener stands between its 'error' event and a process crash.
    it.runIf(backend.name === 'postgres')(
      'survives losing the connection of a commit in flight, then recovers',
      async () => {
        const sink = sinkWith({ retryMs: { min: 10, max: 20 } });
        const session = sessionRecord();
        await sink.sessionStarted(session);
        const locker = new pg.Client({ connectionString: database.url });
        await locker.connect();
        try {
          await locker.query('begin');
          await locker.query('lock table audit_chain in exclusive mode');
          const inFlight = sink.commandDecided(commandRecord(session.id, 1)).catch((e) => e);
          const waiting = async () =>
            (
              await locker.query(
                "select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'",
              )
            ).rows[0].n > 0;
          expect(await waitUntil(waiting)).toBe(true);
          await locker.query(
            "select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'",
          );
          expect(await inFlight).toMatchObject({ code: 'store_unavailable' });
          await locker.query('commit');
        } finally {
          await locker.end();
        }
        await expect(sink.commandDecided(commandRecord(session.id, 2))).resolves.toBeUndefined();
        expect((await getSession(store, session.id))?.commands.map((c) => c.seq)).toEqual([2]);
      },
    );

    it('caps a transaction at maxBatch records', async () => {
      const sink = sinkWith({ maxBatch: 25 });
      const session = sessionRecord();
      await sink.sessionStarted(session);
      await Promise.all(
        Array.from({ length: 60 }, (_, i) => sink.commandDecided(commandRecord(session.id, i + 1))),
      );
      expect(sink.stats()).toMatchObject({ commits: 4, maxBatchSize: 25, records: 61 });
      expect(await sink.flush(5000)).toBe(true);
      expect(await commandCount(session.id)).toBe(60);
    });

    it('writes completions with the next batch, or within flushMs on their own', async () => {
      const sink = sinkWith({ flushMs: 20 });
      const session = sessionRecord();
      await sink.sessionStarted(session);
      await sink.commandDecided(commandRecord(session.id, 1));
      sink.commandCompleted(session.id, 1, { tag: 'SELECT 1', rows: 1, durationMs: 1 });
      expect(sink.stats()).toMatchObject({ queued: 1, commits: 2 });
      await sink.commandDecided(commandRecord(session.id, 2)); // carries the completion along
      expect(sink.stats()).toMatchObject({ queued: 0, commits: 3 });
      sink.commandCompleted(session.id, 2, { tag: 'SELECT 1', rows: 1, durationMs: 1 });
      expect(sink.stats().queued).toBe(1);
      const completed = async () =>
        (await getSession(store, session.id))?.commands.every((c) => c.outcome) ?? false;
      expect(await waitUntil(completed, 2000)).toBe(true);
      expect(sink.stats()).toMatchObject({ queued: 0, commits: 4 });
    });

    it('in batched mode acknowledges at once and commits within the window', async () => {
      const sink = sinkWith({ durability: 'batched', flushMs: 30 });
      const session = sessionRecord();
      await sink.sessionStarted(session);
      const commits = sink.stats().commits;
      const started = performance.now();
      for (let seq = 1; seq <= 10; seq++) {
        await sink.commandDecided(commandRecord(session.id, seq));
        sink.commandCompleted(session.id, seq, { tag: 'SELECT 1', rows: 1, durationMs: 1 });
      }
      expect(sink.stats()).toMatchObject({ commits, queued: 20 }); // nothing written yet
      expect(await waitUntil(async () => (await commandCount(session.id)) === 10, 2000)).toBe(true);
      expect(performance.now() - started).toBeLessThan(1000);
      const stats = sink.stats();
      expect(stats.commits - commits).toBe(1); // decisions and outcomes in one transaction
      expect(
        (await getSession(store, session.id))?.commands.every((c) => c.outcome?.tag === 'SELECT 1'),
      ).toBe(true);
    });

    it('in batched mode commits at once when maxBatch records are queued', async () => {
      const sink = sinkWith({ durability: 'batched', flushMs: 60_000, maxBatch: 20 });
      const session = sessionRecord();
      await sink.sessionStarted(session);
      for (let seq = 1; seq <= 20; seq++) await sink.commandDecided(commandRecord(session.id, seq));
      expect(await waitUntil(async () => (await commandCount(session.id)) === 20, 2000)).toBe(true);
    });

    it('refuses with store_unavailable while the store fails, keeps outcomes, and recovers by itself', async () => {
      // The direct commit path; SQLite's journal fails differently (audit-journal.test.ts).
      const sink = sinkWith({ journal: false, flushMs: 10, retryMs: { min: 60_000, max: 60_000 } });
      const session = sessionRecord();
      await sink.sessionStarted(session);
      await sink.commandDecided(commandRecord(session.id, 1));

      await database.break();
      sink.commandCompleted(session.id, 1, { tag: 'SELECT 1', rows: 1, durationMs: 4 });
      const refused = await sink
        .commandDecided(commandRecord(session.id, 2))
        .catch((err: unknown) => err);
      expect(refused).toBeInstanceOf(GatehouseError);
      expect((refused as GatehouseError).code).toBe('store_unavailable');
      await expect(sink.sessionStarted(sessionRecord())).rejects.toMatchObject({
        code: 'store_unavailable',
      });
      expect(sink.stats()).toMatchObject({ healthy: false, queued: 1 });
      expect(sink.stats().failedCommits).toBeGreaterThanOrEqual(2);
      if (backend.name === 'postgres') await expect(store.ping()).rejects.toThrow();

      await database.repair();
      await expect(sink.commandDecided(commandRecord(session.id, 3))).resolves.toBeUndefined();
      expect(await sink.flush(2000)).toBe(true);
      const stored = await getSession(store, session.id);
      expect(stored?.commands.map((c) => c.seq)).toEqual([1, 3]);
      expect(stored?.commands[0]?.outcome).toEqual({ tag: 'SELECT 1', rows: 1, durationMs: 4 });
      expect(sink.stats().healthy).toBe(true);
    });

    it('retries on its own, without new traffic, once the store is back', async () => {
      // The direct commit path; SQLite's journal fails differently (audit-journal.test.ts).
      const sink = sinkWith({ journal: false, flushMs: 10, retryMs: { min: 20, max: 50 } });
      const session = sessionRecord();
      await sink.sessionStarted(session);
      await sink.commandDecided(commandRecord(session.id, 1));
      await database.break();
      sink.commandCompleted(session.id, 1, { rows: 0, durationMs: 1 });
      const ended = sink.sessionEnded(session.id, 'client closed', session.startedAt + 1);
      await expect(ended).rejects.toMatchObject({ code: 'store_unavailable' });
      await sleep(150);
      await database.repair();
      expect(
        await waitUntil(
          async () => (await getSession(store, session.id))?.endReason === 'client closed',
          5000,
        ),
      ).toBe(true);
      expect((await getSession(store, session.id))?.commands[0]?.outcome).toEqual({
        rows: 0,
        durationMs: 1,
      });
    });

    it('in batched mode fails closed while the store is failing, keeping what it acknowledged', async () => {
      const sink = sinkWith({ durability: 'batched', flushMs: 10, retryMs: { min: 20, max: 50 } });
      const session = sessionRecord();
      await sink.sessionStarted(session);
      await database.break();
      await sink.commandDecided(commandRecord(session.id, 1)); // acknowledged before the failure shows
      await waitUntil(async () => !sink.stats().healthy, 5000);
      await expect(sink.commandDecided(commandRecord(session.id, 2))).rejects.toMatchObject({
        code: 'store_unavailable',
      });
      await database.repair();
      expect(await sink.flush(5000)).toBe(true);
      expect((await getSession(store, session.id))?.commands.map((c) => c.seq)).toEqual([1]);
    });

    it('keeps each session in order across interleaved sessions and batches', async () => {
      const sink = sinkWith({ maxBatch: 7 });
      const sessions = Array.from({ length: 5 }, () => sessionRecord());
      await Promise.all(sessions.map((s) => sink.sessionStarted(s)));
      const order: string[] = [];
      await Promise.all(
        sessions.map(async (session, index) => {
          for (let seq = 1; seq <= 12; seq++) {
            await sink.commandDecided(commandRecord(session.id, seq, { at: seq }));
            order.push(`${index}:${seq}`);
            sink.commandCompleted(session.id, seq, { rows: seq, durationMs: 0 });
            if (seq % 4 === 0) await sleep(1);
          }
          await sink.sessionEnded(session.id, 'done', 99);
        }),
      );
      await sink.flush();
      for (const session of sessions) {
        const stored = await getSession(store, session.id);
        expect(stored?.commands.map((c) => [c.seq, c.outcome?.rows])).toEqual(
          Array.from({ length: 12 }, (_, i) => [i + 1, i + 1]),
        );
        expect(stored?.endedAt).toBe(99);
      }
      expect(sink.stats().maxBatchSize).toBeLessThanOrEqual(7);
    });

    it('closes within its timeout while the store fails, settling every waiter', async () => {
      // The direct commit path; SQLite's journal fails differently (audit-journal.test.ts).
      const sink = sinkWith({ journal: false, flushMs: 10, retryMs: { min: 20, max: 50 } });
      const session = sessionRecord();
      await sink.sessionStarted(session);
      await database.break();
      sink.commandCompleted(session.id, 1, { rows: 1, durationMs: 1 });
      const ended = sink.sessionEnded(session.id, 'shutdown', 1).catch((err: unknown) => err);
      const started = performance.now();
      await sink.close(300);
      expect(performance.now() - started).toBeLessThan(2500);
      expect(await ended).toMatchObject({ code: 'store_unavailable' });
      await expect(sink.commandDecided(commandRecord(session.id, 2))).rejects.toMatchObject({
        code: 'store_unavailable',
      });
    });

    it('refuses new records once closed', async () => {
      const sink = sinkWith();
      await sink.close();
      await expect(sink.sessionStarted(sessionRecord())).rejects.toMatchObject({
        code: 'store_unavailable',
      });
    });
  });
}
