import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyChain } from '../../src/audit/read/chain-verify.js';
import { purgeBefore, RetentionJob } from '../../src/audit/read/retention.js';
import { getSession } from '../../src/audit/read/session-queries.js';
import { StoreAuditSink } from '../../src/audit/record/store-audit-sink.js';
import { openStore, type Store } from '../../src/store/index.js';
import { backends, type StoreDatabase } from '../store/backends.js';
import { commandRecord, sessionRecord } from '../store/fixtures.js';

/** A clock the test moves by hand; records carry its time as `recorded_at`. */
const clock = { t: 0, now: () => clock.t };

for (const backend of backends) {
  describe.skipIf(backend.unavailable !== undefined)(`retention on ${backend.name}`, () => {
    let database: StoreDatabase;
    let store: Store;

    beforeAll(async () => {
      database = await backend.create();
      store = await openStore(database.url);
    });
    afterAll(async () => {
      await store?.close();
      await database?.drop();
    });

    /** Records a session of `commands` commands at clock time `at`; returns its id. */
    async function sessionAt(at: number, commands = 3): Promise<string> {
      clock.t = at;
      const sink = new StoreAuditSink(store, { clock });
      const session = sessionRecord({ startedAt: at });
      await sink.sessionStarted(session);
      for (let seq = 1; seq <= commands; seq++) {
        await sink.commandDecided(commandRecord(session.id, seq, { at }));
        sink.commandCompleted(session.id, seq, { tag: 'SELECT 1', rows: 1, durationMs: 1 });
      }
      await sink.sessionEnded(session.id, 'done', at);
      await sink.close();
      return session.id;
    }

    const purges = async () =>
      (
        await store.db
          .selectFrom('audit_events')
          .select(['seq', 'data'])
          .where('kind', '=', 'purge')
          .orderBy('seq')
          .execute()
      ).map((row) => ({ seq: Number(row.seq), ...JSON.parse(row.data) }));

    it('purges old records, records the purge, and verify accepts the shorter chain', async () => {
      const old = await sessionAt(1_000);
      const recent = await sessionAt(1_000_000);
      const before = await verifyChain(store.db);
      expect(before).toMatchObject({ ok: true, records: 16 });

      const purged = await purgeBefore(store, 500_000, { now: 1_000_100 });
      expect(purged).toBe(8);
      const after = await verifyChain(store.db);
      expect(after).toMatchObject({ ok: true, records: 9, base: { seq: 8 }, head: { seq: 17 } });
      expect(await purges()).toEqual([
        { seq: 17, fromSeq: 1, toSeq: 8, lastHash: after.base.hash, before: 500_000 },
      ]);
      expect(await getSession(store, old)).toBeUndefined();
      expect((await getSession(store, recent))?.commands).toHaveLength(3);

      // Nothing old is left but the purge record: no new purge record replaces it.
      expect(await purgeBefore(store, 500_000, { now: 1_000_200 })).toBe(0);
      expect(await purges()).toHaveLength(1);
    });

    it('a later purge may remove earlier purge records; the newest one vouches for the base', async () => {
      await sessionAt(2_000_000);
      const purged = await purgeBefore(store, 1_500_000, { now: 2_000_100 });
      expect(purged).toBe(9); // the recent session of the first test and its purge record
      const report = await verifyChain(store.db);
      expect(report).toMatchObject({ ok: true, base: { seq: 17 } });
      expect((await purges()).map((p) => [p.fromSeq, p.toSeq])).toEqual([[9, 17]]);
    });

    it('still notices records removed from the start beyond the recorded purge', async () => {
      const { base } = await verifyChain(store.db);
      const next = await store.db
        .selectFrom('audit_events')
        .select('hash')
        .where('seq', '=', base.seq + 1)
        .executeTakeFirstOrThrow();
      await store.db
        .deleteFrom('audit_events')
        .where('seq', '=', base.seq + 1)
        .execute();
      await store.db
        .updateTable('audit_chain')
        .set({ base_seq: base.seq + 1, base_hash: next.hash })
        .execute();
      const report = await verifyChain(store.db);
      expect(report.broken).toMatchObject({ problem: 'missing' });
      expect(report.broken?.detail).toMatch(/without a purge record/);
    });
  });

  describe.skipIf(backend.unavailable !== undefined)(
    `retention while recording on ${backend.name}`,
    () => {
      let database: StoreDatabase;
      let store: Store;
      beforeAll(async () => {
        database = await backend.create();
        store = await openStore(database.url);
      });
      afterAll(async () => {
        await store?.close();
        await database?.drop();
      });

      it('purges in chunks and takes turns with the sink on the chain head', async () => {
        const sink = new StoreAuditSink(store);
        const sessions = Array.from({ length: 4 }, () => sessionRecord());
        await Promise.all(sessions.map((s) => sink.sessionStarted(s)));
        // With the SQLite journal records reach the chain a moment later: start with some there.
        await sink.flush();
        const writes = sessions.map(async (session) => {
          for (let seq = 1; seq <= 40; seq++) {
            await sink.commandDecided(commandRecord(session.id, seq));
            sink.commandCompleted(session.id, seq, { rows: 0, durationMs: 0 });
          }
        });
        // Everything recorded so far is older than the cutoff; purging runs while they write.
        const cutoff = Date.now() + 60_000;
        const purging = (async () => {
          let total = 0;
          for (let i = 0; i < 5; i++) total += await purgeBefore(store, cutoff, { chunk: 7 });
          return total;
        })();
        await Promise.all(writes);
        const purged = await purging;
        await sink.close();
        expect(purged).toBeGreaterThan(0);
        const report = await verifyChain(store.db);
        expect(report).toMatchObject({ ok: true });
        expect(report.base.seq).toBeGreaterThan(0);
      });

      it('runs on a timer through RetentionJob, which never throws', async () => {
        const job = new RetentionJob(store, { retentionMs: 1, intervalMs: 60_000 });
        const sink = new StoreAuditSink(store);
        await sink.sessionStarted(sessionRecord());
        await sink.close();
        await new Promise((resolve) => setTimeout(resolve, 5));
        expect(await job.runOnce()).toBeGreaterThan(0);
        await job.stop();
        expect(await verifyChain(store.db)).toMatchObject({ ok: true });
        const closed = await openStore(database.url);
        await closed.close();
        const failing = new RetentionJob(closed, { retentionMs: 1 });
        expect(await failing.runOnce()).toBe(0); // the failure is logged, not thrown
      });
    },
  );
}
