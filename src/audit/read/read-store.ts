import { GatehouseError } from '../../core/errors.js';

/**
 * Runs a read of the audit record; a store failure becomes `store_unavailable` (HTTP 503), so
 * a reader learns the store is down rather than seeing an internal error. Errors that already
 * carry a code pass through.
 */
export async function readAudit<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    if (err instanceof GatehouseError) throw err;
    throw new GatehouseError(
      'store_unavailable',
      'the audit record cannot be read right now',
      { hint: 'retry once the gateway store is available again' },
      { cause: err },
    );
  }
}
