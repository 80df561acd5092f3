import { EventEmitter } from 'node:events';

/**
 * A feed of changed ids (a ticket's, a policy version's) on this process and, with a shared
 * store, on every replica. Subscribers re-read from the store: a message is only a nudge.
 */
export interface ChangeFeed {
  publish(id: string): Promise<void>;
  subscribe(listener: (id: string) => void): () => void;
  close(): Promise<void>;
}

/** One process, embedded store: an in-memory event emitter is the whole feed. */
export class LocalChangeFeed implements ChangeFeed {
  readonly #events = new EventEmitter().setMaxListeners(0);

  async publish(id: string): Promise<void> {
    this.#events.emit('change', id);
  }

  subscribe(listener: (id: string) => void): () => void {
    this.#events.on('change', listener);
    return () => this.#events.off('change', listener);
  }

  async close(): Promise<void> {
    this.#events.removeAllListeners();
  }
}
