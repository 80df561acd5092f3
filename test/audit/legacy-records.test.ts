import { describe, expect, it } from 'vitest';
import { verifyChain } from '../../src/audit/read/chain-verify.js';
import { getSession } from '../../src/audit/read/session-queries.js';
// The registry hands the audit layer each connector's legacy record flags.
import '../../src/connectors/registry.js';
import { commandEvent } from '../../src/audit/record/audit-event.js';
import { StoreAuditSink } from '../../src/audit/record/store-audit-sink.js';
import { appendEvents, lockChainHead } from '../../src/audit/write/audit-writes.js';
import { openStore } from '../../src/store/index.js';
import { backends } from '../store/backends.js';
import { commandRecord, sessionRecord } from '../store/fixtures.js';

const sqlite = backends.find((b) => b.name === 'sqlite')!;

/**
 * Command records written before `Command.attributes` carried the one protocol fact as a
 * `whereAbsent` flag. They must still verify (hashes are over the stored text) and read back
 * with the fact as an attribute.
 */
describe('command records written before attributes', () => {
  it('verify, and read whereAbsent as attributes.where', async () => {
    const database = await sqlite.create();
    const store = await openStore(database.url);
    try {
      const sink = new StoreAuditSink(store);
      const session = sessionRecord();
      await sink.sessionStarted(session);
      await sink.flush();
      const current = commandEvent(commandRecord(session.id, 1));
      const legacy = (seq: number, whereAbsent: boolean) => {
        const event = commandEvent(commandRecord(session.id, seq));
        const data = JSON.parse(event.data) as Record<string, unknown>;
        return { ...event, data: JSON.stringify({ ...data, whereAbsent }) };
      };
      await store.db.transaction().execute(async (trx) => {
        const head = await lockChainHead(trx, 'sqlite');
        await appendEvents(trx, 'sqlite', head, [legacy(2, true), legacy(3, false)], Date.now());
      });
      await sink.commandDecided({
        ...commandRecord(session.id, 4),
        command: { text: 'delete from t', classes: ['delete'], attributes: { where: 'absent' } },
      });
      await sink.close();
      expect(current.data).not.toContain('whereAbsent');
      expect(await verifyChain(store.db)).toMatchObject({ ok: true });
      const stored = await getSession(store, session.id);
      expect(stored?.commands.map((c) => [c.seq, c.attributes])).toEqual([
        [2, { where: 'absent' }],
        [3, undefined],
        [4, { where: 'absent' }],
      ]);
      expect(stored?.commands[0]).not.toHaveProperty('whereAbsent');
    } finally {
      await store.close();
      await database.drop();
    }
  });
});
