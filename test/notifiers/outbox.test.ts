import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type DispatcherOptions,
  NotificationDispatcher,
  type NotifierConfig,
  type OutboxRow,
  type OutboxTables,
  SqlNotificationOutbox,
} from '../../src/approvals/notifiers/index.js';
import { resolveSecret } from '../../src/secrets/index.js';
import { openStore, type Store } from '../../src/store/index.js';
import { backends, type StoreDatabase } from '../store/backends.js';
import { sampleEvent } from '../support/notifier-events.js';
import { captureLogger, type Receiver, startReceiver } from './receiver.js';

/**
 * Durable deliveries (docs/notifiers.md, "Durability"): real stores (SQLite file, PostgreSQL)
 * and a real HTTP receiver that verifies Standard Webhooks signatures.
 */

const SECRET = `whsec_${randomBytes(32).toString('base64')}`;
const secret: DispatcherOptions['secret'] = (ref) => resolveSecret(ref, { HOOK_SECRET: SECRET });

function webhook(url: string): NotifierConfig {
  return { type: 'webhook', url, secret: { env: 'HOOK_SECRET' } };
}

async function until(check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

for (const backend of backends) {
  describe.skipIf(backend.unavailable !== undefined)(`notifier outbox on ${backend.name}`, () => {
    let database: StoreDatabase;
    const stores: Store[] = [];
    const dispatchers: NotificationDispatcher[] = [];
    const receivers: Receiver[] = [];

    beforeAll(async () => {
      database = await backend.create();
    });
    afterEach(async () => {
      await Promise.all(dispatchers.splice(0).map((d) => d.drain(100)));
      // Each test starts with an empty outbox: rows left behind would go to the next receiver.
      await stores[0]?.db.withTables<OutboxTables>().deleteFrom('notification_outbox').execute();
      await Promise.all(stores.splice(0).map((s) => s.close()));
      await Promise.all(receivers.splice(0).map((r) => r.close()));
    });
    afterAll(async () => {
      await database?.drop();
    });

    async function receiver(...args: Parameters<typeof startReceiver>): Promise<Receiver> {
      const r = await startReceiver(...args);
      receivers.push(r);
      return r;
    }

    /** A gateway's worth of notifier plumbing: its own store connection and dispatcher. */
    async function gateway(notifiers: NotifierConfig[], options: Partial<DispatcherOptions> = {}) {
      const store = await openStore(database.url);
      stores.push(store);
      const outbox = new SqlNotificationOutbox(store.db.withTables<OutboxTables>());
      const log = captureLogger();
      const dispatcher = new NotificationDispatcher(notifiers, {
        secret,
        logger: log.logger,
        baseDelayMs: 10,
        maxAttempts: 6,
        pollMs: 20,
        random: () => 0,
        outbox,
        ...options,
      });
      dispatchers.push(dispatcher);
      return { store, outbox, dispatcher, log };
    }

    async function rowsFor(outbox: SqlNotificationOutbox, eventIds: Set<string>) {
      return (await outbox.list()).filter((row) => eventIds.has(row.event_id));
    }

    it('a delivery pending when the gateway stops is sent by the next gateway on the store', async () => {
      // The first attempt hangs until shutdown cuts it short; the receiver then answers 200.
      const r = await receiver({ secret: SECRET, script: ['hang'] });
      const first = await gateway([webhook(r.url)]);
      first.dispatcher.notify(sampleEvent());
      await until(() => r.requests.length === 1);
      const eventId = String(r.requests[0]!.headers['webhook-id']);
      await first.dispatcher.drain(100);
      await first.store.close();
      stores.splice(stores.indexOf(first.store), 1);

      const second = await gateway([webhook(r.url)]);
      const [pending] = await rowsFor(second.outbox, new Set([eventId]));
      expect(pending).toMatchObject({ status: 'pending', attempts: 0, claimed_by: null });
      await until(() => r.processed.has(eventId));
      await until(
        async () => (await rowsFor(second.outbox, new Set([eventId])))[0]?.status === 'delivered',
      );

      expect(r.requests).toHaveLength(2);
      expect(r.requests.every((req) => req.verified)).toBe(true);
      expect(r.requests[1]!.headers['webhook-id']).toBe(eventId);
      expect(r.requests[1]!.body).toBe(r.requests[0]!.body);
      const [row] = await rowsFor(second.outbox, new Set([eventId]));
      expect(row).toMatchObject({ status: 'delivered', attempts: 1 });
    });

    it('a receiver failing twice gets the event on the third attempt, same webhook-id; no secret in the row', async () => {
      const r = await receiver({ secret: SECRET, script: [500, 503] });
      const { outbox, dispatcher, store } = await gateway([webhook(`${r.url}/hook?token=abc`)]);
      dispatcher.notify(sampleEvent());
      await until(() => r.processed.size === 1);
      const delivered = new Set(r.processed);
      await until(async () => (await rowsFor(outbox, delivered))[0]?.status === 'delivered');

      expect(r.requests).toHaveLength(3);
      expect(r.requests.every((req) => req.verified)).toBe(true);
      expect(new Set(r.requests.map((req) => req.headers['webhook-id'])).size).toBe(1);
      expect(new Set(r.requests.map((req) => req.body)).size).toBe(1);
      const eventId = String(r.requests[0]!.headers['webhook-id']);
      const [row] = await rowsFor(outbox, new Set([eventId]));
      expect(row).toMatchObject({ status: 'delivered', attempts: 3, notifier: 0 });
      expect(row!.notifier_label).toBe('webhook#0');
      // The outbox keeps the body and the notifier's position, never the URL or the secret.
      const raw = JSON.stringify(
        await store.db
          .withTables<OutboxTables>()
          .selectFrom('notification_outbox')
          .selectAll()
          .execute(),
      );
      expect(raw).not.toContain('token=abc');
      expect(raw).not.toContain(r.url);
      expect(raw).not.toContain(SECRET.slice('whsec_'.length, 20));
      expect(dispatcher.stats()).toMatchObject({ delivered: 1, failed: 0, attempts: 3 });
    });

    it('stops retrying after the attempt limit and keeps the row as failed, logged', async () => {
      const r = await receiver({ secret: SECRET, script: [500, 500, 500, 500] });
      const { outbox, dispatcher, log } = await gateway([webhook(r.url)], { maxAttempts: 3 });
      dispatcher.notify(sampleEvent());
      let row: OutboxRow | undefined;
      await until(async () => {
        if (r.requests.length === 0) return false;
        const ids = new Set([String(r.requests[0]!.headers['webhook-id'])]);
        [row] = await rowsFor(outbox, ids);
        return row?.status === 'failed';
      });
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(r.requests).toHaveLength(3);
      expect(row).toMatchObject({ status: 'failed', attempts: 3, claimed_by: null });
      expect(row!.last_error).toMatch(/^HTTP 500/);
      expect(row!.finished_at).toEqual(expect.any(Number));
      const failure = log.records.find((rec) => rec.msg.includes('not delivered after 3'));
      expect(failure).toMatchObject({ eventId: row!.event_id, notifier: 'webhook#0', level: 50 });
    });

    it('gives a delivery up once it is older than maxAgeMs, without another attempt', async () => {
      const r = await receiver({ secret: SECRET, script: [500, 500, 500] });
      const { outbox, dispatcher, log } = await gateway([webhook(r.url)], {
        maxAgeMs: 50,
        baseDelayMs: 200,
      });
      dispatcher.notify(sampleEvent());
      let row: OutboxRow | undefined;
      await until(async () => {
        if (r.requests.length === 0) return false;
        [row] = await rowsFor(outbox, new Set([String(r.requests[0]!.headers['webhook-id'])]));
        return row?.status === 'failed';
      });
      expect(r.requests).toHaveLength(1);
      expect(row).toMatchObject({ attempts: 1, last_error: 'older than 50 ms' });
      expect(log.records.some((rec) => rec.level === 50 && rec.eventId === row!.event_id)).toBe(
        true,
      );
    });

    it('more due deliveries than maxPending: the rest go as soon as attempts end', async () => {
      const r = await receiver({ secret: SECRET });
      const { dispatcher } = await gateway([webhook(r.url)], { maxPending: 2, pollMs: 60_000 });
      for (let i = 0; i < 7; i++) dispatcher.notify(sampleEvent({ ticket: { id: `tkt_b${i}` } }));
      await until(() => r.processed.size === 7, 5_000);
      expect(r.requests).toHaveLength(7);
    });

    it('two dispatchers on one store send each event once', async () => {
      const r = await receiver({ secret: SECRET });
      const a = await gateway([webhook(r.url)], { replicaId: 'a' });
      const b = await gateway([webhook(r.url)], { replicaId: 'b' });
      for (let i = 0; i < 20; i++) {
        (i % 2 ? a : b).dispatcher.notify(sampleEvent({ ticket: { id: `tkt_${i}` } }));
      }
      await until(() => r.processed.size === 20);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(r.requests).toHaveLength(20);
      expect(new Set(r.requests.map((req) => req.headers['webhook-id'])).size).toBe(20);
      const ids = new Set(r.requests.map((req) => String(req.headers['webhook-id'])));
      await until(async () =>
        (await rowsFor(a.outbox, ids)).every((row) => row.status === 'delivered'),
      );
      expect((await rowsFor(b.outbox, ids)).map((row) => row.attempts)).toEqual(Array(20).fill(1));
    });

    it('a lease is taken by exactly one of two replicas racing for it, and is free again once expired', async () => {
      // Two store connections, no dispatcher (a gateway without notifiers leaves the outbox alone).
      const outboxOn = async () => {
        const store = await openStore(database.url);
        stores.push(store);
        return { outbox: new SqlNotificationOutbox(store.db.withTables<OutboxTables>()) };
      };
      const a = await outboxOn();
      const b = await outboxOn();
      const now = Date.now();
      await a.outbox.add({
        eventId: `msg_${randomBytes(16).toString('hex')}`,
        notifier: 0,
        notifierLabel: 'webhook#0',
        eventType: 'ticket.created',
        ticketId: 'tkt_race',
        body: '{}',
        createdAt: now,
      });
      const [id] = (await a.outbox.list())
        .filter((row) => row.ticket_id === 'tkt_race')
        .map((row) => row.id);
      const claims = await Promise.all([
        a.outbox.claim(id!, 'a', now, now + 1000),
        b.outbox.claim(id!, 'b', now, now + 1000),
        a.outbox.claim(id!, 'a2', now, now + 1000),
      ]);
      expect(claims.filter((c) => c !== undefined)).toHaveLength(1);
      expect(await b.outbox.claim(id!, 'c', now + 500, now + 1500)).toBeUndefined();
      expect(await b.outbox.claim(id!, 'c', now + 1001, now + 2000)).toMatchObject({
        claimed_by: 'c',
      });
      expect(await a.outbox.finish(id!, 'a', { status: 'delivered', attempts: 1 })).toBe(false);
      expect(await b.outbox.finish(id!, 'c', { status: 'failed', attempts: 1 })).toBe(true);
    });
  });
}
