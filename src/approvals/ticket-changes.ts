import { EventEmitter } from 'node:events';

/**
 * Tells waiting clients that a ticket changed, on this process and (with a shared store) on
 * every replica. Subscribers re-read the ticket from the store: the message is only a nudge.
 */
export interface TicketChanges {
  publish(ticketId: string): Promise<void>;
  subscribe(listener: (ticketId: string) => void): () => void;
  close(): Promise<void>;
}

/** One process, embedded store: an in-memory event emitter is the whole feed. */
export class LocalTicketChanges implements TicketChanges {
  readonly #events = new EventEmitter().setMaxListeners(0);

  async publish(ticketId: string): Promise<void> {
    this.#events.emit('change', ticketId);
  }

  subscribe(listener: (ticketId: string) => void): () => void {
    this.#events.on('change', listener);
    return () => this.#events.off('change', listener);
  }

  async close(): Promise<void> {
    this.#events.removeAllListeners();
  }
}
