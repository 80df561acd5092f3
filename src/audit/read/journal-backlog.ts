import type { Kysely } from 'kysely';
import type { Database } from '../../store/database.js';
import { readJournal } from '../write/audit-journal.js';

/**
 * How many records the audit journal in `dir` holds that the chain does not (yet): those a
 * gateway journalled and had not chained when it stopped, or is chaining right now. Records
 * are matched on (kind, session, command seq), as retried writes are (docs/audit.md).
 */
export async function unchainedJournalRecords(db: Kysely<Database>, dir: string): Promise<number> {
  const bySession = new Map<string | null, Set<string>>();
  for (const segment of readJournal(dir)) {
    for (const { event } of segment.entries) {
      let facts = bySession.get(event.sessionId);
      if (!facts) {
        facts = new Set();
        bySession.set(event.sessionId, facts);
      }
      facts.add(`${event.kind}:${event.commandSeq ?? ''}`);
    }
  }
  let missing = 0;
  for (const [sessionId, facts] of bySession) {
    const rows = await db
      .selectFrom('audit_events')
      .select(['kind', 'command_seq'])
      .where('session_id', sessionId === null ? 'is' : '=', sessionId)
      .execute();
    for (const row of rows) facts.delete(`${row.kind}:${row.command_seq ?? ''}`);
    missing += facts.size;
  }
  return missing;
}
