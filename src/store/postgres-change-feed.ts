import { EventEmitter } from 'node:events';
import pg from 'pg';
import type { Logger } from 'pino';
import type { ChangeFeed } from './change-feed.js';

const CHANNEL = 'gatehouse_tickets';
/** Sent to local subscribers after a reconnect: changes may have been missed, re-read everything. */
export const RESYNC = '*';

/**
 * A change feed across replicas with PostgreSQL LISTEN/NOTIFY on the shared store (ticket
 * changes; central policy versions on a channel of their own). One dedicated listening
 * connection per process; it reconnects with backoff, and after a reconnect tells every local
 * subscriber to re-read (`RESYNC`), so a notification lost while the connection was down delays
 * a release but never loses it.
 */
export class PostgresChangeFeed implements ChangeFeed {
  readonly #url: string;
  readonly #channel: string;
  readonly #logger: Logger;
  readonly #events = new EventEmitter().setMaxListeners(0);
  readonly #publisher: pg.Pool;
  #listener: pg.Client | undefined;
  #closed = false;
  #retryMs = 250;

  private constructor(url: string, logger: Logger, channel: string) {
    this.#url = url;
    this.#channel = channel;
    this.#logger = logger;
    this.#publisher = new pg.Pool({ connectionString: url, max: 2 });
    this.#publisher.on('error', (err) =>
      logger.warn({ err }, 'change feed publisher connection failed'),
    );
    // pg-pool watches idle clients only; a connection lost mid-publish must not crash the process.
    this.#publisher.on('connect', (client) =>
      client.on('error', (err) => logger.warn({ err }, 'change feed publisher connection lost')),
    );
  }

  /** `channel`: another feed of ids on the same machinery (central policy versions use one). */
  static async start(url: string, logger: Logger, channel = CHANNEL): Promise<PostgresChangeFeed> {
    const changes = new PostgresChangeFeed(url, logger, channel);
    await changes.#listen();
    return changes;
  }

  async publish(ticketId: string): Promise<void> {
    await this.#publisher.query('SELECT pg_notify($1, $2)', [this.#channel, ticketId]);
  }

  subscribe(listener: (ticketId: string) => void): () => void {
    this.#events.on('change', listener);
    return () => this.#events.off('change', listener);
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#events.removeAllListeners();
    await this.#listener?.end().catch(() => undefined);
    await this.#publisher.end();
  }

  async #listen(): Promise<void> {
    const client = new pg.Client({ connectionString: this.#url });
    client.on('notification', (message) => {
      if (message.channel === this.#channel && message.payload)
        this.#events.emit('change', message.payload);
    });
    client.on('error', (err) => {
      this.#logger.warn({ err }, 'ticket change listener lost its connection; reconnecting');
      this.#reconnectSoon(client);
    });
    client.on('end', () => this.#reconnectSoon(client));
    await client.connect();
    await client.query(`LISTEN ${this.#channel}`);
    this.#listener = client;
    this.#retryMs = 250;
  }

  #reconnectSoon(dead: pg.Client): void {
    if (this.#closed || this.#listener !== dead) return;
    this.#listener = undefined;
    const delay = this.#retryMs;
    this.#retryMs = Math.min(this.#retryMs * 2, 10_000);
    setTimeout(() => {
      if (this.#closed) return;
      this.#listen().then(
        () => this.#events.emit('change', RESYNC),
        (err: unknown) => {
          this.#logger.warn({ err }, 'ticket change listener reconnect failed');
          this.#listener = dead;
          this.#reconnectSoon(dead);
        },
      );
    }, delay).unref();
  }
}
