import { type Logger, pino } from 'pino';
import { type Clock, systemClock } from '../../core/clock.js';
import type { Store } from '../../store/store.js';
import { purgeEvent } from '../record/audit-event.js';
import { appendEvents, lockChainHead } from '../write/audit-writes.js';
import { CHAIN_ID } from '../write/chain-append.js';

export interface PurgeOptions {
  /** Time of the purge record (default: now). */
  now?: number;
  /** Most records deleted per transaction (default 10 000), so appenders wait briefly. */
  chunk?: number;
}

/**
 * Deletes the records appended before `cutoff` (epoch ms) from the start of the chain, and in
 * the same transaction appends a `purge` record naming the range and the hash of its last
 * record, and moves the chain's base there — so `audit verify` accepts the shorter chain and
 * still notices anything removed without such a record. Deletes a prefix only: a record
 * recorded after the cutoff, and everything after it, stays. Returns how many were deleted.
 */
export async function purgeBefore(
  store: Pick<Store, 'db' | 'dialect'>,
  cutoff: number,
  options: PurgeOptions = {},
): Promise<number> {
  const chunk = options.chunk ?? 10_000;
  let total = 0;
  for (;;) {
    const deleted = await store.db.transaction().execute(async (trx) => {
      const head = await lockChainHead(trx, store.dialect);
      const newer = await trx
        .selectFrom('audit_events')
        .select((eb) => eb.fn.min('seq').as('seq'))
        .where('recorded_at', '>=', cutoff)
        .executeTakeFirst();
      const limit =
        newer?.seq === null || newer?.seq === undefined ? head.headSeq : Number(newer.seq) - 1;
      const toSeq = Math.min(limit, head.baseSeq + chunk);
      if (toSeq <= head.baseSeq) return 0;
      const range = trx
        .selectFrom('audit_events')
        .where('seq', '>', head.baseSeq)
        .where('seq', '<=', toSeq);
      // Only earlier purge records left to go: keep them rather than replace one with another.
      const facts = await range
        .select((eb) => eb.fn.countAll().as('n'))
        .where('kind', '<>', 'purge')
        .executeTakeFirst();
      if (Number(facts?.n ?? 0) === 0) return 0;
      const last = await trx
        .selectFrom('audit_events')
        .select('hash')
        .where('seq', '=', toSeq)
        .executeTakeFirst();
      if (!last) throw new Error(`record ${toSeq} is missing; run gatehouse audit verify`);
      const result = await trx
        .deleteFrom('audit_events')
        .where('seq', '>', head.baseSeq)
        .where('seq', '<=', toSeq)
        .executeTakeFirst();
      const now = options.now ?? Date.now();
      const record = purgeEvent(
        { fromSeq: head.baseSeq + 1, toSeq, lastHash: last.hash, before: cutoff },
        now,
      );
      await appendEvents(trx, store.dialect, head, [record], now);
      await trx
        .updateTable('audit_chain')
        .set({ base_seq: toSeq, base_hash: last.hash })
        .where('id', '=', CHAIN_ID)
        .execute();
      return Number(result.numDeletedRows);
    });
    total += deleted;
    if (deleted === 0) return total;
  }
}

export interface RetentionOptions {
  /** `audit.retention`: records older than this are purged. */
  retentionMs: number;
  /** How often to purge (default: a tenth of the retention, between 1 minute and 1 hour). */
  intervalMs?: number;
  clock?: Clock;
  logger?: Logger;
}

/** Purges on a timer; every replica may run one (they take turns on the chain head). */
export class RetentionJob {
  readonly #store: Pick<Store, 'db' | 'dialect'>;
  readonly #options: RetentionOptions;
  readonly #logger: Logger;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<number> | undefined;
  #stopped = false;

  constructor(store: Pick<Store, 'db' | 'dialect'>, options: RetentionOptions) {
    this.#store = store;
    this.#options = options;
    this.#logger = options.logger ?? pino({ level: 'silent' });
  }

  start(): void {
    const { retentionMs, intervalMs } = this.#options;
    const every = intervalMs ?? Math.min(Math.max(retentionMs / 10, 60_000), 3_600_000);
    this.#timer = setInterval(() => void this.runOnce(), every).unref();
    setImmediate(() => {
      if (!this.#stopped) void this.runOnce();
    });
  }

  /** One purge pass now (a pass already running is awaited instead). Never throws. */
  runOnce(): Promise<number> {
    this.#running ??= (async () => {
      const clock = this.#options.clock ?? systemClock;
      const now = clock.now();
      try {
        const purged = await purgeBefore(this.#store, now - this.#options.retentionMs, { now });
        if (purged > 0) this.#logger.info({ records: purged }, 'audit retention purge');
        return purged;
      } catch (err) {
        this.#logger.warn({ err }, 'audit retention purge failed; retried next time');
        return 0;
      } finally {
        this.#running = undefined;
      }
    })();
    return this.#running;
  }

  /** Stops the timer and waits for a pass in flight. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }
}
