import { type Kysely, type Selectable, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type VerifyReport, verifyChain } from '../../src/audit/read/chain-verify.js';
import { recordHash } from '../../src/audit/record/chain-hash.js';
import { StoreAuditSink } from '../../src/audit/record/store-audit-sink.js';
import type { AuditEventsTable, Database } from '../../src/store/database.js';
import { openStore } from '../../src/store/index.js';
import { backends, type StoreDatabase } from '../store/backends.js';
import { commandRecord, sessionRecord } from '../store/fixtures.js';
import { copyStore } from './store-copy.js';

type Row = Selectable<AuditEventsTable>;

const fieldsOf = (row: Row) => ({
  recordedAt: Number(row.recorded_at),
  kind: row.kind,
  sessionId: row.session_id,
  commandSeq: row.command_seq === null ? null : Number(row.command_seq),
  at: Number(row.at),
  connector: row.connector,
  subject: row.subject,
  decision: row.decision,
  data: row.data,
});

/** Re-hashes records from..head onto whatever precedes `from`, and moves the head row along. */
async function rehashFrom(db: Kysely<Database>, from: number): Promise<void> {
  const rows = await db
    .selectFrom('audit_events')
    .selectAll()
    .where('seq', '>=', from - 1)
    .orderBy('seq')
    .execute();
  let prev = Number(rows[0]!.seq) === from - 1 ? rows.shift()!.hash : '0'.repeat(64);
  for (const row of rows) {
    const hash = recordHash(prev, fieldsOf(row));
    await db
      .updateTable('audit_events')
      .set({ prev_hash: prev, hash })
      .where('seq', '=', row.seq)
      .execute();
    prev = hash;
  }
  await db.updateTable('audit_chain').set({ head_hash: prev }).execute();
}

/**
 * Tamper evidence: a populated store is copied, the copy is changed the way someone with write
 * access to the database might change it, and `verifyChain` must name the first broken record.
 */
for (const backend of backends) {
  describe.skipIf(backend.unavailable !== undefined)(`tampering on ${backend.name}`, () => {
    let original: StoreDatabase;
    /** seq of each record by `kind:commandSeq` (`session_start:`, `command:3`, …). */
    const seqOf = new Map<string, number>();
    let head = 0;

    beforeAll(async () => {
      original = await backend.create();
      const store = await openStore(original.url);
      const sink = new StoreAuditSink(store);
      const session = sessionRecord();
      await sink.sessionStarted(session);
      for (let seq = 1; seq <= 6; seq++) {
        await sink.commandDecided(commandRecord(session.id, seq));
        sink.commandCompleted(session.id, seq, { tag: 'SELECT 1', rows: 1, durationMs: seq });
        await sink.flush();
      }
      await sink.sessionEnded(session.id, 'client closed', session.startedAt + 100);
      await sink.close();
      const rows = await store.db.selectFrom('audit_events').selectAll().orderBy('seq').execute();
      for (const row of rows) seqOf.set(`${row.kind}:${row.command_seq ?? ''}`, Number(row.seq));
      head = rows.length;
      expect(await verifyChain(store.db)).toMatchObject({ ok: true, records: 14, chains: 1 });
      await store.close();
    });
    afterAll(async () => {
      await original?.drop();
    });

    /** Runs `tamper` on a fresh copy of the store and returns what verify says about the copy. */
    async function verifyAfter(
      tamper: (db: Kysely<Database>) => Promise<void>,
      options?: Parameters<typeof verifyChain>[1],
    ): Promise<VerifyReport> {
      const copy = await copyStore(original.url);
      const store = await openStore(copy.url);
      try {
        await tamper(store.db);
        return await verifyChain(store.db, { pageSize: 4, ...options });
      } finally {
        await store.close();
        await copy.drop();
      }
    }

    it('an untouched copy verifies', async () => {
      const report = await verifyAfter(async () => {});
      expect(report).toMatchObject({ ok: true, records: head, head: { seq: head } });
      expect(report.broken).toBeUndefined();
    });

    it('names an edited command text', async () => {
      const seq = seqOf.get('command:3')!;
      const report = await verifyAfter(async (db) => {
        await db
          .updateTable('audit_events')
          .set({ data: sql`replace(data, 'select 3', 'select 33')` })
          .where('seq', '=', seq)
          .execute();
      });
      expect(report).toMatchObject({
        ok: false,
        records: seq - 1,
        broken: { seq, chain: 'main', problem: 'edited' },
      });
    });

    it('names an edited query column (the decision a filter reads)', async () => {
      const seq = seqOf.get('command:5')!;
      const report = await verifyAfter(async (db) => {
        await db
          .updateTable('audit_events')
          .set({ decision: 'deny' })
          .where('seq', '=', seq)
          .execute();
      });
      expect(report.broken).toMatchObject({ seq, problem: 'edited' });
    });

    it('names a deleted record', async () => {
      const seq = seqOf.get('outcome:2')!;
      const report = await verifyAfter(async (db) => {
        await db.deleteFrom('audit_events').where('seq', '=', seq).execute();
      });
      expect(report.broken).toMatchObject({ seq, problem: 'missing' });
      expect(report.broken?.detail).toBe(`record ${seq} is missing`);
    });

    it('names two swapped records', async () => {
      const a = seqOf.get('command:4')!;
      const b = a + 1;
      const report = await verifyAfter(async (db) => {
        await db.updateTable('audit_events').set({ seq: -a }).where('seq', '=', a).execute();
        await db.updateTable('audit_events').set({ seq: a }).where('seq', '=', b).execute();
        await db.updateTable('audit_events').set({ seq: b }).where('seq', '=', -a).execute();
      });
      expect(report.broken).toMatchObject({ seq: a, problem: 'out_of_order' });
      expect(report.broken?.detail).toBe(`record ${a} belongs after record ${b}`);
    });

    it('names the first of several changes', async () => {
      const first = seqOf.get('command:2')!;
      const report = await verifyAfter(async (db) => {
        await db.deleteFrom('audit_events').where('seq', '=', seqOf.get('command:6')!).execute();
        await db
          .updateTable('audit_events')
          .set({ subject: 'someone-else' })
          .where('seq', '=', first)
          .execute();
      });
      expect(report.broken).toMatchObject({ seq: first, problem: 'edited' });
    });

    it('notices a truncated tail through the chain head', async () => {
      const report = await verifyAfter(async (db) => {
        await db
          .deleteFrom('audit_events')
          .where('seq', '>', head - 2)
          .execute();
      });
      expect(report.broken).toMatchObject({ seq: head - 1, problem: 'missing' });
      expect(report.broken?.detail).toMatch(/last 2 record\(s\) are missing/);
    });

    it('notices a record edited and re-hashed, through the next link', async () => {
      const seq = seqOf.get('command:3')!;
      const report = await verifyAfter(async (db) => {
        const row = await db
          .selectFrom('audit_events')
          .selectAll()
          .where('seq', '=', seq)
          .executeTakeFirstOrThrow();
        const data = row.data.replace('select 3', 'select 4');
        const hash = recordHash(row.prev_hash, { ...fieldsOf(row), data });
        await db.updateTable('audit_events').set({ data, hash }).where('seq', '=', seq).execute();
      });
      expect(report.broken).toMatchObject({ seq, problem: 'edited' });
    });

    it('notices records removed from the start without a purge record', async () => {
      const report = await verifyAfter(async (db) => {
        const third = await db
          .selectFrom('audit_events')
          .select('hash')
          .where('seq', '=', 3)
          .executeTakeFirstOrThrow();
        await db.deleteFrom('audit_events').where('seq', '<=', 3).execute();
        await db.updateTable('audit_chain').set({ base_seq: 3, base_hash: third.hash }).execute();
      });
      expect(report.broken).toMatchObject({ seq: 1, problem: 'missing' });
      expect(report.broken?.detail).toMatch(/without a purge record/);
    });

    it('notices a forged record appended past the head', async () => {
      const report = await verifyAfter(async (db) => {
        const last = await db
          .selectFrom('audit_events')
          .selectAll()
          .where('seq', '=', head)
          .executeTakeFirstOrThrow();
        const forged = {
          ...last,
          seq: head + 1,
          data: '{"reason":"forged"}',
          prev_hash: last.hash,
        };
        await db
          .insertInto('audit_events')
          .values({ ...forged, hash: recordHash(last.hash, fieldsOf(forged)) })
          .execute();
      });
      expect(report.broken).toMatchObject({ seq: head + 1, problem: 'inserted' });
    });

    it('cannot see a consistent rewrite alone, but an anchor kept elsewhere does', async () => {
      const anchor = await verifyAfter(async () => {}).then((r) => r.head);
      const seq = seqOf.get('command:2')!;
      const rewrite = async (db: Kysely<Database>) => {
        await db
          .updateTable('audit_events')
          .set({ data: sql`replace(data, 'select 2', 'select 9')` })
          .where('seq', '=', seq)
          .execute();
        await rehashFrom(db, seq);
      };
      expect(await verifyAfter(rewrite)).toMatchObject({ ok: true });
      const anchored = await verifyAfter(rewrite, { anchor });
      expect(anchored.broken).toMatchObject({ seq: head, problem: 'edited' });
      const truncated = await verifyAfter(
        async (db) => {
          await db.deleteFrom('audit_events').where('seq', '=', head).execute();
          await rehashFrom(db, head - 1);
          await db
            .updateTable('audit_chain')
            .set({ head_seq: head - 1 })
            .execute();
        },
        { anchor },
      );
      expect(truncated.broken).toMatchObject({ seq: head, problem: 'missing' });
    });

    it('notices a missing chain head row', async () => {
      const report = await verifyAfter(async (db) => {
        await db.deleteFrom('audit_chain').execute();
      });
      expect(report).toMatchObject({ ok: false, broken: { problem: 'missing' } });
    });
  });
}
