import type { Kysely, Selectable } from 'kysely';

/**
 * The `notification_outbox` table (migration 0008): one row per (event, notifier) delivery.
 * `status` is `pending` until delivered or given up (`failed`); failed rows are kept.
 */
export interface NotificationOutboxTable {
  /** `<event id>.<notifier index>`. */
  id: string;
  /** The event's `msg_…` id: the Standard Webhooks `webhook-id`, the same on every attempt. */
  event_id: string;
  /** The notifier's position in `reviews.notifiers`: URL and secret are resolved from config. */
  notifier: number;
  /** `webhook#2`: a row whose index now names another kind of notifier is not sent. */
  notifier_label: string;
  event_type: string;
  ticket_id: string | null;
  /** The rendered request body, sent byte for byte on every attempt. */
  body: string;
  status: string;
  attempts: number;
  created_at: number;
  next_attempt_at: number;
  claimed_by: string | null;
  claimed_until: number | null;
  finished_at: number | null;
  last_error: string | null;
}

export type OutboxTables = { notification_outbox: NotificationOutboxTable };

export type OutboxRow = Selectable<NotificationOutboxTable>;

export type OutboxStatus = 'pending' | 'delivered' | 'failed';

export interface NewDelivery {
  eventId: string;
  notifier: number;
  notifierLabel: string;
  eventType: string;
  ticketId: string | undefined;
  body: string;
  createdAt: number;
}

/**
 * Deliveries kept in the store so a restart loses none, shared by every replica on the store.
 * Replicas take a delivery with a lease (compare-and-set on `claimed_until`), so each attempt
 * is made by one replica; a replica that dies mid-attempt lets its lease run out.
 */
export class SqlNotificationOutbox {
  readonly #db: Kysely<OutboxTables>;

  constructor(db: Kysely<OutboxTables>) {
    this.#db = db;
  }

  async add(delivery: NewDelivery): Promise<void> {
    await this.#db
      .insertInto('notification_outbox')
      .values({
        id: `${delivery.eventId}.${delivery.notifier}`,
        event_id: delivery.eventId,
        notifier: delivery.notifier,
        notifier_label: delivery.notifierLabel,
        event_type: delivery.eventType,
        ticket_id: delivery.ticketId ?? null,
        body: delivery.body,
        status: 'pending',
        attempts: 0,
        created_at: delivery.createdAt,
        next_attempt_at: delivery.createdAt,
        claimed_by: null,
        claimed_until: null,
        finished_at: null,
        last_error: null,
      })
      .execute();
  }

  /** Ids of pending deliveries due at `now` whose lease is free, oldest first. */
  async due(now: number, limit: number): Promise<string[]> {
    const rows = await this.#db
      .selectFrom('notification_outbox')
      .select('id')
      .where('status', '=', 'pending')
      .where('next_attempt_at', '<=', now)
      .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<', now)]))
      .orderBy('next_attempt_at')
      .limit(limit)
      .execute();
    return rows.map((row) => row.id);
  }

  /**
   * Takes the delivery for `owner` until `until` if it is still pending, due and unclaimed (or
   * its lease ran out). Compare-and-set: of replicas racing for it, exactly one gets the row.
   */
  async claim(
    id: string,
    owner: string,
    now: number,
    until: number,
  ): Promise<OutboxRow | undefined> {
    const result = await this.#db
      .updateTable('notification_outbox')
      .set({ claimed_by: owner, claimed_until: until })
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .where('next_attempt_at', '<=', now)
      .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<', now)]))
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) !== 1) return undefined;
    return this.#db
      .selectFrom('notification_outbox')
      .selectAll()
      .where('id', '=', id)
      .where('claimed_by', '=', owner)
      .executeTakeFirst();
  }

  /** Records the outcome of an attempt made under `owner`'s lease, and lets the lease go. */
  async finish(
    id: string,
    owner: string,
    outcome: {
      status: OutboxStatus;
      attempts: number;
      nextAttemptAt?: number;
      finishedAt?: number;
      error?: string;
    },
  ): Promise<boolean> {
    const result = await this.#db
      .updateTable('notification_outbox')
      .set({
        status: outcome.status,
        attempts: outcome.attempts,
        claimed_by: null,
        claimed_until: null,
        ...(outcome.nextAttemptAt !== undefined && { next_attempt_at: outcome.nextAttemptAt }),
        ...(outcome.finishedAt !== undefined && { finished_at: outcome.finishedAt }),
        ...(outcome.error !== undefined && { last_error: outcome.error }),
      })
      .where('id', '=', id)
      .where('claimed_by', '=', owner)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Lets a lease go without recording an attempt (an attempt cut short by shutdown). */
  async release(id: string, owner: string): Promise<void> {
    await this.#db
      .updateTable('notification_outbox')
      .set({ claimed_by: null, claimed_until: null })
      .where('id', '=', id)
      .where('claimed_by', '=', owner)
      .execute();
  }

  /** Every row, oldest first (tests and diagnostics). */
  async list(): Promise<OutboxRow[]> {
    return this.#db
      .selectFrom('notification_outbox')
      .selectAll()
      .orderBy('created_at')
      .orderBy('id')
      .execute();
  }
}
