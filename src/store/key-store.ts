import type { KeyStore } from '../core/key-store.js';
import type { Store } from './store.js';

interface GatewayKeysTable {
  name: string;
  value: string;
  created_at: number;
}

/**
 * The store's `gateway_keys` table as a KeyStore: insert-if-absent, then read, so replicas that
 * start together agree on one value. The value is kept as given (the store is the gateway's
 * trust boundary, like the audit log): protect the store's file or database accordingly.
 */
export function storeKeyStore(store: Store, now: () => number = Date.now): KeyStore {
  const db = store.db.withTables<{ gateway_keys: GatewayKeysTable }>();
  return {
    async getOrCreate(name, create) {
      const existing = await db
        .selectFrom('gateway_keys')
        .select('value')
        .where('name', '=', name)
        .executeTakeFirst();
      if (existing) return existing.value;
      await db
        .insertInto('gateway_keys')
        .values({ name, value: create(), created_at: now() })
        .onConflict((oc) => oc.column('name').doNothing())
        .execute();
      const row = await db
        .selectFrom('gateway_keys')
        .select('value')
        .where('name', '=', name)
        .executeTakeFirstOrThrow();
      return row.value;
    },
  };
}
