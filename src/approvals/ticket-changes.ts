import { type ChangeFeed, LocalChangeFeed } from '../store/change-feed.js';

/**
 * Tells waiting clients that a ticket changed, on this process and (with a shared store) on
 * every replica: the store's change feed, carrying ticket ids.
 */
export type TicketChanges = ChangeFeed;

/** One process, embedded store. */
export const LocalTicketChanges = LocalChangeFeed;
