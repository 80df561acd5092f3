import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyChain } from '../../src/audit/read/chain-verify.js';
import { StoreAuditSink } from '../../src/audit/record/store-audit-sink.js';
import { openStore, type Store } from '../../src/store/index.js';
import { backends, type StoreDatabase } from '../store/backends.js';
import { commandRecord, sessionRecord } from '../store/fixtures.js';

const SESSIONS = 32;
const COMMANDS = 25;

/** Every session runs its commands one after another, as a client does; sessions run at once. */
async function drive(sink: StoreAuditSink, sessions: number): Promise<void> {
  await Promise.all(
    Array.from({ length: sessions }, async () => {
      const session = sessionRecord();
      await sink.sessionStarted(session);
      for (let seq = 1; seq <= COMMANDS; seq++) {
        await sink.commandDecided(commandRecord(session.id, seq));
        sink.commandCompleted(session.id, seq, { tag: 'SELECT 1', rows: 1, durationMs: 1 });
      }
      await sink.sessionEnded(session.id, 'done', Date.now());
    }),
  );
  await sink.flush();
}

/**
 * Grouped commits under concurrency, and several gateway processes ("replicas", each with its
 * own pool) appending to one chain. Prints what a record costs, for docs/audit.md.
 */
for (const backend of backends) {
  describe.skipIf(backend.unavailable !== undefined)(
    `concurrent recording on ${backend.name}`,
    () => {
      let database: StoreDatabase;
      let stores: Store[] = [];

      beforeAll(async () => {
        database = await backend.create();
        const replicas = backend.name === 'postgres' ? 3 : 1;
        stores = await Promise.all(Array.from({ length: replicas }, () => openStore(database.url)));
      });
      afterAll(async () => {
        await Promise.all(stores.map((store) => store.close()));
        await database?.drop();
      });

      it('groups concurrent sessions into shared commits', async () => {
        const sink = new StoreAuditSink(stores[0]!);
        const started = performance.now();
        await drive(sink, SESSIONS);
        const elapsed = performance.now() - started;
        const stats = sink.stats();
        await sink.close();
        const records = SESSIONS * (2 + 2 * COMMANDS);
        expect(stats.records).toBe(records);
        // Strict decisions of 32 sessions wait together: far fewer commits than records.
        expect(stats.commits).toBeLessThan(records / 4);
        console.info(
          `${backend.name}: ${records} records in ${stats.commits} commits (mean batch ${(records / stats.commits).toFixed(1)}, max ${stats.maxBatchSize}), ` +
            `${((stats.commitMs * 1000) / records).toFixed(1)} µs of commit per record, ${(elapsed / (SESSIONS * COMMANDS)).toFixed(3)} ms wall per command; sizes ${JSON.stringify(stats.batchSizes)}`,
        );
        expect(await verifyChain(stores[0]!.db)).toMatchObject({ ok: true, records });
      });

      it.runIf(backend.name === 'postgres')(
        'lets replicas append to one chain, taking turns on its head',
        async () => {
          const before = (await verifyChain(stores[0]!.db)).records;
          const sinks = stores.map((store) => new StoreAuditSink(store));
          const started = performance.now();
          await Promise.all(sinks.map((sink) => drive(sink, SESSIONS / 2)));
          const elapsed = performance.now() - started;
          const stats = sinks.map((sink) => sink.stats());
          await Promise.all(sinks.map((sink) => sink.close()));
          const records = stores.length * (SESSIONS / 2) * (2 + 2 * COMMANDS);
          const report = await verifyChain(stores[1]!.db);
          expect(report).toMatchObject({ ok: true, records: before + records });
          expect(report.head.seq).toBe(before + records);
          const commits = stats.reduce((sum, s) => sum + s.commits, 0);
          console.info(
            `postgres, ${stores.length} replicas: ${records} records in ${commits} commits (mean batch ${(records / commits).toFixed(1)}), ` +
              `${(elapsed / ((stores.length * SESSIONS * COMMANDS) / 2)).toFixed(3)} ms wall per command`,
          );
        },
      );
    },
  );
}
