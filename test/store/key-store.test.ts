import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store, storeKeyStore } from '../../src/store/index.js';
import { backends, type StoreDatabase } from './backends.js';

for (const backend of backends) {
  describe.skipIf(backend.unavailable !== undefined)(`gateway keys on ${backend.name}`, () => {
    let database: StoreDatabase;
    let store: Store;

    beforeAll(async () => {
      database = await backend.create();
      store = await openStore(database.url);
    });
    afterAll(async () => {
      await store?.close();
      await database?.drop();
    });

    it('creates a key once and hands the same one to every later ask, across reopening', async () => {
      const keys = storeKeyStore(store);
      let made = 0;
      const create = () => `key-${++made}`;
      const first = await Promise.all([
        keys.getOrCreate('ssh-host-key:a', create),
        keys.getOrCreate('ssh-host-key:a', create),
        storeKeyStore(store).getOrCreate('ssh-host-key:a', create),
      ]);
      expect(new Set(first).size).toBe(1);
      expect(await keys.getOrCreate('ssh-host-key:b', create)).not.toBe(first[0]);
      const again = await openStore(database.url);
      try {
        expect(await storeKeyStore(again).getOrCreate('ssh-host-key:a', () => 'other')).toBe(
          first[0],
        );
      } finally {
        await again.close();
      }
    });
  });
}
