import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/index.js';
import { PostgresChangeFeed, RESYNC } from '../../src/store/postgres-change-feed.js';
import {
  alice,
  holdRequest,
  ManualClock,
  rejection,
  serviceOn,
  startHold,
} from '../approvals/service-fixture.js';
import { createDatabase, onAdmin, type TestDatabase } from '../helpers/pg-db.js';
import { requirePostgres } from '../helpers/services.js';

const logger = pino({ level: 'silent' });

/** Collects what a feed tells its subscribers. */
function collect(changes: PostgresChangeFeed): string[] {
  const seen: string[] = [];
  changes.subscribe((id) => seen.push(id));
  return seen;
}

async function until(what: string, condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Cuts the feed's LISTEN connection from the server side, as a failover or idle kill would. */
async function killListeners(database: string): Promise<number> {
  const { rows } = await onAdmin((admin) =>
    admin.query<{ killed: boolean }>(
      `select pg_terminate_backend(pid, 5000) as killed from pg_stat_activity
        where datname = $1 and query = 'LISTEN gatehouse_tickets'`,
      [database],
    ),
  );
  return rows.filter((row) => row.killed).length;
}

describe.runIf(await requirePostgres())(
  'PostgresChangeFeed (LISTEN/NOTIFY across replicas)',
  () => {
    let database: TestDatabase;
    let storeA: Store;
    let storeB: Store;
    let feedA: PostgresChangeFeed;
    let feedB: PostgresChangeFeed;

    beforeAll(async () => {
      database = await createDatabase('gh_ticket_feed');
      // Two "replicas": each its own store pool and its own feed, on one database.
      storeA = await openStore(database.url);
      storeB = await openStore(database.url);
      feedA = await PostgresChangeFeed.start(database.url, logger);
      feedB = await PostgresChangeFeed.start(database.url, logger);
    });
    afterAll(async () => {
      await feedA?.close();
      await feedB?.close();
      await storeA?.close();
      await storeB?.close();
      await database?.drop();
    });

    it('a change published on one replica reaches subscribers on both', async () => {
      const seenA = collect(feedA);
      const seenB = collect(feedB);
      await feedB.publish('tkt_from_b');
      await until('both replicas to hear it', () =>
        [seenA, seenB].every((seen) => seen.includes('tkt_from_b')),
      );
    });

    it('a decision on replica B releases the client waiting on replica A', async () => {
      const clock = new ManualClock();
      const replicaA = serviceOn(storeA, clock, feedA).service;
      const replicaB = serviceOn(storeB, clock, feedB).service;
      const { ticket, outcome } = await startHold(
        replicaA,
        holdRequest('DROP TABLE cross_replica'),
      );
      const started = performance.now();
      await replicaB.review(ticket.id, alice, 'approve');
      const release = await outcome;
      expect(release.ticket.id).toBe(ticket.id);
      expect(performance.now() - started).toBeLessThan(2000);
    });

    it('after losing its connection the feed reconnects and asks waiters to re-read (nothing is lost)', async () => {
      const clock = new ManualClock();
      const replicaA = serviceOn(storeA, clock, feedA).service;
      const replicaB = serviceOn(storeB, clock, feedB).service;
      const seenA = collect(feedA);
      const { ticket, outcome } = await startHold(
        replicaA,
        holdRequest('DROP TABLE during_outage'),
      );

      expect(await killListeners(database.name)).toBe(2);
      // Decided while A cannot hear: the NOTIFY is lost for A.
      await replicaB.review(ticket.id, alice, 'deny', { rationale: 'decided during the outage' });
      const error = await rejection(outcome);
      expect(error.code).toBe('policy_denied');
      expect(error.details.rationale).toBe('decided during the outage');
      expect(seenA).toContain(RESYNC);

      // Reconnected feeds hear new changes again.
      const before = seenA.length;
      await feedB.publish('tkt_after_reconnect');
      await until('A to hear B after reconnecting', () =>
        seenA.slice(before).includes('tkt_after_reconnect'),
      );
    });
  },
);
