import { existsSync } from 'node:fs';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getSession, listSessions } from '../../src/audit/read/session-queries.js';
import { StoreAuditSink } from '../../src/audit/record/store-audit-sink.js';
import { GatehouseError } from '../../src/core/errors.js';
import { MIGRATIONS, openStore, type Store } from '../../src/store/index.js';
import { backends, type StoreDatabase } from './backends.js';
import { commandRecord, sessionRecord } from './fixtures.js';

for (const backend of backends) {
  describe.skipIf(backend.unavailable !== undefined)(`store on ${backend.name}`, () => {
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

    it('creates its schema by migration, and opening again changes nothing', async () => {
      expect(store.dialect).toBe(backend.name);
      const sink = new StoreAuditSink(store);
      const session = sessionRecord();
      await sink.sessionStarted(session);
      await sink.close();

      const again = await openStore(database.url);
      try {
        const applied = await sql<{
          name: string;
        }>`select name from gatehouse_migration order by name`.execute(again.db);
        expect(applied.rows.map((r) => r.name)).toEqual(MIGRATIONS.map(([name]) => name));
        expect((await getSession(again, session.id))?.id).toBe(session.id);
      } finally {
        await again.close();
      }
      if (backend.name === 'sqlite') {
        expect(existsSync(database.url.slice('sqlite:'.length))).toBe(true);
        const mode = await sql<{ journal_mode: string }>`pragma journal_mode`.execute(store.db);
        expect(mode.rows[0]?.journal_mode).toBe('wal');
        const sync = await sql<{ synchronous: number }>`pragma synchronous`.execute(store.db);
        expect(sync.rows[0]?.synchronous).toBe(1); // NORMAL: WAL commits survive a process crash
        const full = await openStore(database.url, { synchronous: 'full' });
        try {
          const fullSync = await sql<{ synchronous: number }>`pragma synchronous`.execute(full.db);
          expect(fullSync.rows[0]?.synchronous).toBe(2);
        } finally {
          await full.close();
        }
      }
    });

    it('lets replicas that start together migrate one fresh database', async () => {
      const fresh = await backend.create();
      try {
        const replicas = await Promise.all([1, 2, 3].map(() => openStore(fresh.url)));
        const applied = await sql<{
          n: number;
        }>`select count(*) as n from gatehouse_migration`.execute(replicas[0]!.db);
        expect(Number(applied.rows[0]?.n)).toBe(MIGRATIONS.length);
        await Promise.all(replicas.map((replica) => replica.close()));
      } finally {
        await fresh.drop();
      }
    });

    it('answers ping', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });

    it('round-trips a session and its commands exactly', async () => {
      const sink = new StoreAuditSink(store);
      const session = sessionRecord();
      await sink.sessionStarted(session);
      await sink.commandDecided(
        commandRecord(session.id, 1, {
          command: {
            text: 'insert into t values ($1, $2) -- ünïcødé \u0000 nul',
            params: ['a', null],
            classes: ['write'],
            target: { database: 'app' },
          },
          executedText: 'insert into t values ($1, $2)',
        }),
      );
      sink.commandCompleted(session.id, 1, { tag: 'INSERT 0 1', rows: 1, durationMs: 3 });
      await sink.commandDecided(
        commandRecord(session.id, 2, {
          command: {
            text: 'delete from users',
            classes: ['write', 'delete'],
            attributes: { where: 'absent' },
            unclassifiable: true,
          },
          decision: { action: 'deny', rule: 'unbounded-writes', reason: 'needs a dba' },
          ticketId: 'T-1',
          executedText: undefined,
        }),
      );
      await sink.commandDecided(commandRecord(session.id, 3));
      sink.commandCompleted(session.id, 3, {
        error: { code: '42P01', message: 'relation does not exist' },
        durationMs: 1.6,
      });
      await sink.sessionEnded(session.id, 'client closed', session.startedAt + 5000);
      await sink.sessionEnded(session.id, 'ended twice', session.startedAt + 9000);
      await sink.close();

      const stored = await getSession(store, session.id);
      expect(stored).toEqual({
        id: session.id,
        connector: 'pg-prod',
        protocol: 'postgres',
        identity: session.identity,
        client: session.client,
        target: { database: 'app' },
        startedAt: session.startedAt,
        endedAt: session.startedAt + 5000,
        endReason: 'client closed',
        commandCount: 3,
        commands: [
          {
            seq: 1,
            at: session.startedAt + 1,
            text: 'insert into t values ($1, $2) -- ünïcødé \u0000 nul',
            params: ['a', null],
            classes: ['write'],
            unclassifiable: false,
            target: { database: 'app' },
            decision: { action: 'allow', reason: 'connector default' },
            executedText: 'insert into t values ($1, $2)',
            outcome: { tag: 'INSERT 0 1', rows: 1, durationMs: 3 },
            completedAt: expect.any(Number),
          },
          {
            seq: 2,
            at: session.startedAt + 2,
            text: 'delete from users',
            classes: ['write', 'delete'],
            attributes: { where: 'absent' },
            unclassifiable: true,
            decision: { action: 'deny', rule: 'unbounded-writes', reason: 'needs a dba' },
            ticketId: 'T-1',
          },
          {
            seq: 3,
            at: session.startedAt + 3,
            text: 'select 3',
            classes: ['read'],
            unclassifiable: false,
            decision: { action: 'allow', reason: 'connector default' },
            executedText: 'select 3',
            outcome: {
              error: { code: '42P01', message: 'relation does not exist' },
              durationMs: 2,
            },
            completedAt: expect.any(Number),
          },
        ],
      });
      expect(typeof stored?.commands[0]?.completedAt).toBe('number');
      expect(await getSession(store, 'no-such-session')).toBeUndefined();
    });

    it('lists sessions most recent first, filtered by connector, subject and time', async () => {
      const sink = new StoreAuditSink(store);
      const base = 1_800_000_000_000;
      const mk = (n: number, connector: string, subject: string) =>
        sessionRecord({
          connector,
          startedAt: base + n * 1000,
          identity: { ...sessionRecord().identity, subject },
        });
      const sessions = [
        mk(1, 'list-a', 'alice'),
        mk(2, 'list-b', 'alice'),
        mk(3, 'list-a', 'bob'),
        mk(4, 'list-a', 'alice'),
      ];
      await Promise.all(sessions.map((s) => sink.sessionStarted(s)));
      await sink.commandDecided(commandRecord(sessions[3]!.id, 1));
      await sink.close();
      const ids = (list: { id: string }[]) =>
        list.map((s) => sessions.findIndex((x) => x.id === s.id) + 1);

      expect(ids(await listSessions(store, { since: base }))).toEqual([4, 3, 2, 1]);
      expect(ids(await listSessions(store, { connector: 'list-a', since: base }))).toEqual([
        4, 3, 1,
      ]);
      expect(ids(await listSessions(store, { subject: 'alice', since: base }))).toEqual([4, 2, 1]);
      expect(ids(await listSessions(store, { since: base + 2000, until: base + 4000 }))).toEqual([
        3, 2,
      ]);
      expect(ids(await listSessions(store, { since: base, limit: 2 }))).toEqual([4, 3]);
      const [latest] = await listSessions(store, { since: base, limit: 1 });
      expect(latest).toMatchObject({ commandCount: 1, startedAt: base + 4000 });
      expect(typeof latest?.startedAt).toBe('number');
      expect(latest).not.toHaveProperty('endedAt');
    });
  });
}

describe('openStore', () => {
  it('opens an in-memory SQLite store', async () => {
    const store = await openStore('sqlite::memory:');
    try {
      const sink = new StoreAuditSink(store);
      const session = sessionRecord();
      await sink.sessionStarted(session);
      await sink.close();
      expect((await listSessions(store))[0]?.id).toBe(session.id);
    } finally {
      await store.close();
      await store.close(); // idempotent
    }
  });

  it('refuses an unsupported URL', async () => {
    await expect(openStore('mysql://root@localhost/x')).rejects.toThrow(TypeError);
  });

  it('reports an unreachable PostgreSQL as store_unavailable without its password', async () => {
    const error = await openStore('postgres://gh:s3cr3t@127.0.0.1:1/none', {
      connectTimeoutMs: 500,
    }).catch((e) => e);
    expect(error).toBeInstanceOf(GatehouseError);
    expect(error.code).toBe('store_unavailable');
    expect(error.message).toContain('postgres://gh:***@127.0.0.1:1/none');
    expect(error.message).not.toContain('s3cr3t');
  });
});
